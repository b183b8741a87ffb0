/**
 * Counting Redis commands. Two sources, because they answer different questions:
 *
 * - INFO commandstats counts every command Redis executed, including the ones a Lua script runs
 *   (an EVALSHA of sessionkit's write script shows up as evalsha + get + set): the raw total.
 * - MONITOR shows who sent each command: a client (`[0 127.0.0.1:port]`) or a script (`[0 lua]`). From it
 *   come the "commands sent by the client" (EVALSHA counts 1), which is what costs round trips.
 */
import net from "node:net";
import { redisCommand, redisInfo } from "../../tools/redis-harness/redis-server.js";

export type CommandCounts = Record<string, number>;

/** Commands the bench itself sends to read the stats: never counted. */
const OWN_COMMANDS = new Set(["info", "config|resetstat", "config", "monitor", "echo", "ping"]);

export async function commandStats(port: number): Promise<CommandCounts> {
  const info = await redisInfo(port, "commandstats");
  const counts: CommandCounts = {};
  for (const [field, value] of Object.entries(info)) {
    if (!field.startsWith("cmdstat_")) continue;
    const name = field.slice("cmdstat_".length);
    const calls = /calls=(\d+)/.exec(value)?.[1];
    if (calls !== undefined && !OWN_COMMANDS.has(name)) counts[name] = Number(calls);
  }
  return counts;
}

export function diffCounts(after: CommandCounts, before: CommandCounts): CommandCounts {
  const delta: CommandCounts = {};
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0);
    if (d > 0) delta[name] = d;
  }
  return delta;
}

export function total(counts: CommandCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

export function perRequest(counts: CommandCounts, requests: number): CommandCounts {
  const out: CommandCounts = {};
  for (const [name, n] of Object.entries(counts)) out[name] = round(n / requests, 3);
  return out;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface MonitorCounts {
  /** Commands sent by clients (what costs round trips; a script invocation counts 1). */
  client: CommandCounts;
  /** Commands run inside Lua scripts (counted by commandstats as well). */
  lua: CommandCounts;
}

/** A MONITOR connection that tallies commands by source until stop(). */
export class CommandMonitor {
  readonly #socket: net.Socket;
  readonly #port: number;
  #buffer = "";
  #client: CommandCounts = {};
  #lua: CommandCounts = {};
  #marker: { text: string; seen: () => void } | undefined;

  private constructor(port: number, socket: net.Socket) {
    this.#port = port;
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.#onData(chunk));
  }

  static async start(port: number): Promise<CommandMonitor> {
    const socket = net.createConnection({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const monitor = new CommandMonitor(port, socket);
    const ok = new Promise<void>((resolve) => {
      monitor.#marker = { text: "+OK", seen: resolve };
    });
    socket.write("*1\r\n$7\r\nMONITOR\r\n");
    await ok;
    return monitor;
  }

  /** Waits until every command sent before this call has been seen, then closes the connection. */
  async stop(): Promise<MonitorCounts> {
    const text = `bench-marker-${process.hrtime.bigint()}`;
    const seen = new Promise<void>((resolve) => {
      this.#marker = { text, seen: resolve };
    });
    await redisCommand(this.#port, "ECHO", text);
    await seen;
    this.#socket.destroy();
    return { client: this.#client, lua: this.#lua };
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf("\r\n");
    while (newline !== -1) {
      const line = this.#buffer.slice(0, newline);
      this.#buffer = this.#buffer.slice(newline + 2);
      this.#onLine(line);
      newline = this.#buffer.indexOf("\r\n");
    }
  }

  #onLine(line: string): void {
    if (this.#marker && line.includes(this.#marker.text)) {
      const { seen } = this.#marker;
      this.#marker = undefined;
      seen();
      return;
    }
    // +1712345678.123456 [0 127.0.0.1:54321] "hgetall" "key"   or   [0 lua] "HSET" ...
    const match = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] "([^"]+)"/.exec(line);
    if (!match) return;
    const [, source = "", rawName = ""] = match;
    const name = rawName.toLowerCase();
    if (OWN_COMMANDS.has(name)) return;
    const into = source === "lua" ? this.#lua : this.#client;
    into[name] = (into[name] ?? 0) + 1;
  }
}
