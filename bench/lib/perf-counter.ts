/**
 * User-space instructions retired by a process while a measurement runs (Linux `perf stat`), divided by
 * requests: unlike req/s and CPU time it hardly moves with the machine's noise, so it shows what a code
 * change is worth. Optional (`--perf`): needs perf and perf_event_paranoid <= 2.
 */
import { spawn } from "node:child_process";

export interface PerfCounter {
  /** Stops counting; resolves user-space instructions and cycles (NaN when perf failed). */
  stop(): Promise<{ instructions: number; cycles: number }>;
}

export function startPerfCounter(pid: number): PerfCounter {
  const perf = spawn("perf", ["stat", "-x", ",", "-e", "instructions:u,cycles:u", "-p", String(pid)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let output = "";
  perf.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    perf.once("exit", () => resolve());
    perf.once("error", () => resolve());
  });
  return {
    async stop() {
      perf.kill("SIGINT");
      await exited;
      const value = (event: string) => {
        const line = output.split("\n").find((l) => l.includes(`,${event}`));
        return line === undefined ? Number.NaN : Number(line.split(",")[0]);
      };
      return { instructions: value("instructions:u"), cycles: value("cycles:u") };
    },
  };
}
