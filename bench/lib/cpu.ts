/** CPU time of processes, for "CPU microseconds per request": steadier than req/s on a noisy machine. */
import { readFileSync } from "node:fs";

const CLOCK_TICKS_PER_SEC = 100;

/** user + system CPU seconds of a process and all its threads (Linux /proc); NaN elsewhere. */
export function processCpuSec(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

/** This process (the load generator). */
export function selfCpuSec(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
