import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { accessSync, constants as fsConstants, rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import tls from "node:tls";
import type { TestCertificates } from "./tls.js";

export const REDIS_HOST = "127.0.0.1";
/** One file per spawned server, named by its pid; shared by every harness process on the machine. */
export const PID_DIR = path.join(os.tmpdir(), "sessionkit-test-pids");

export const POLL_INTERVAL_MS = 20;
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const COMMAND_TIMEOUT_MS = 5_000;
const PORT_MIN = 20_000;
const PORT_MAX = 40_000;
/** Redis Cluster listens on port + 10000 for its node-to-node bus. */
const BUS_PORT_OFFSET = 10_000;
const MAX_PORT_ATTEMPTS = 3;

export const REDIS_SERVER_MISSING =
  "redis-server not found on PATH. Run `npm test` (its pretest step installs it with apt-get on Debian/Ubuntu as root), or install Redis 7 yourself (apt-get install redis-server / brew install redis).";

// ---------------------------------------------------------------------------
// Minimal RESP2 client (one command per connection), used for readiness checks.

export class RedisReplyError extends Error {
  override name = "RedisReplyError";
}

type RespValue = string | number | null | RedisReplyError | RespValue[];
interface Parsed {
  value: RespValue;
  next: number;
}

/** Client TLS options of the harness's TLS-only servers, by port: redisCommand speaks TLS to them. */
const tlsClientOptions = new Map<number, tls.ConnectionOptions>();

export function redisCommand(port: number, ...args: string[]): Promise<string | number | null | unknown[]> {
  return new Promise((resolve, reject) => {
    const tlsOptions = tlsClientOptions.get(port);
    const socket = tlsOptions
      ? tls.connect({ ...tlsOptions, host: REDIS_HOST, port })
      : net.createConnection({ host: REDIS_HOST, port });
    let buffered = Buffer.alloc(0);
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(COMMAND_TIMEOUT_MS, () => fail(new Error(`${args[0]} to port ${port} timed out`)));
    socket.on("error", fail);
    socket.on("close", () => fail(new Error(`port ${port} closed the connection before replying`)));
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      let parsed: Parsed | undefined;
      try {
        parsed = parseReply(buffered, 0);
      } catch (err) {
        fail(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (parsed === undefined) return;
      socket.destroy();
      if (parsed.value instanceof RedisReplyError) reject(parsed.value);
      else resolve(parsed.value);
    });
    socket.write(encodeCommand(args));
  });
}

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`;
}

/** Returns undefined while the buffer does not yet hold a complete reply. */
function parseReply(buf: Buffer, start: number): Parsed | undefined {
  const lineEnd = buf.indexOf("\r\n", start);
  if (lineEnd === -1) return undefined;
  const line = buf.toString("utf8", start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buf[start] ?? 0)) {
    case "+":
      return { value: line, next };
    case "-":
      return { value: new RedisReplyError(line), next };
    case ":":
      return { value: Number(line), next };
    case "$":
      return parseBulk(buf, Number(line), next);
    case "*":
      return parseArray(buf, Number(line), next);
    default:
      throw new Error(`Unexpected RESP reply: ${JSON.stringify(buf.toString("utf8", start, lineEnd))}`);
  }
}

function parseBulk(buf: Buffer, length: number, start: number): Parsed | undefined {
  if (length === -1) return { value: null, next: start };
  const end = start + length;
  if (buf.length < end + 2) return undefined;
  return { value: buf.toString("utf8", start, end), next: end + 2 };
}

function parseArray(buf: Buffer, count: number, start: number): Parsed | undefined {
  if (count === -1) return { value: null, next: start };
  const items: RespValue[] = [];
  let next = start;
  for (let i = 0; i < count; i++) {
    const item = parseReply(buf, next);
    if (item === undefined) return undefined;
    items.push(item.value);
    next = item.next;
  }
  return { value: items, next };
}

/** INFO [section] parsed into field → value. */
export async function redisInfo(port: number, section = "default"): Promise<Record<string, string>> {
  const text = await redisCommand(port, "INFO", section);
  if (typeof text !== "string") throw new Error(`INFO on port ${port} returned ${JSON.stringify(text)}`);
  const fields: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

// ---------------------------------------------------------------------------
// Polling helpers

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Polls `check` every 20 ms until it returns true; errors count as "not yet". */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError === undefined ? "" : ` (last error: ${errorMessage(lastError)})`;
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await delay(POLL_INTERVAL_MS);
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// Ports

const handedOutPorts = new Set<number>();

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ port, host: REDIS_HOST, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export async function findFreePort(opts: { withBusPort?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(PORT_MIN, PORT_MAX + 1);
    const ports = opts.withBusPort ? [port, port + BUS_PORT_OFFSET] : [port];
    if (ports.some((p) => handedOutPorts.has(p))) continue;
    // Reserve before the async probe so concurrent callers cannot pick the same port.
    for (const p of ports) handedOutPorts.add(p);
    const free = await Promise.all(ports.map(isPortFree));
    if (free.every(Boolean)) return port;
  }
  throw new Error(`No free port found between ${PORT_MIN} and ${PORT_MAX} after 200 attempts`);
}

// ---------------------------------------------------------------------------
// PID files and orphan protection

interface PidRecord {
  harnessPid: number;
  port: number;
  command: string[];
}

const livePids = new Set<number>();
let exitHandlersInstalled = false;

function pidFile(pid: number): string {
  return path.join(PID_DIR, String(pid));
}

async function writePidFile(pid: number, record: PidRecord): Promise<void> {
  await mkdir(PID_DIR, { recursive: true });
  // Write-then-rename so a concurrent sweep never reads a half-written file.
  const tmp = `${pidFile(pid)}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, pidFile(pid));
}

function parsePidRecord(text: string): PidRecord | undefined {
  try {
    const data: unknown = JSON.parse(text);
    if (typeof data !== "object" || data === null) return undefined;
    const { harnessPid, port, command } = data as Record<string, unknown>;
    if (typeof harnessPid !== "number" || typeof port !== "number" || !Array.isArray(command))
      return undefined;
    return { harnessPid, port, command: command.map(String) };
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function readCommandLine(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  } catch {
    if (process.platform === "linux") return undefined;
  }
  const ps = spawnSync("ps", ["-p", String(pid), "-o", "command="], { encoding: "utf8" });
  return ps.status === 0 ? ps.stdout : undefined;
}

/** redis-server rewrites its process title to "redis-server 127.0.0.1:<port> [mode]". */
async function isOrphanedServer(pid: number, record: PidRecord): Promise<boolean> {
  const cmdline = await readCommandLine(pid);
  if (cmdline === undefined) return false;
  return cmdline.includes("redis-server") && cmdline.includes(`:${record.port}`);
}

/**
 * Kills redis-servers left behind by harness processes that are gone (SIGKILLed runners,
 * crashes) and removes their PID files. Returns how many servers were killed.
 */
export async function sweepStaleServers(): Promise<number> {
  let names: string[];
  try {
    names = await readdir(PID_DIR);
  } catch {
    return 0;
  }
  let killed = 0;
  for (const name of names.filter((n) => /^\d+$/.test(n))) {
    const pid = Number(name);
    const record = parsePidRecord(await readFile(pidFile(pid), "utf8").catch(() => ""));
    if (record !== undefined && isProcessAlive(record.harnessPid)) continue;
    if (record !== undefined && (await isOrphanedServer(pid, record)) && sendSignal(pid, "SIGKILL")) killed++;
    const tempRoot = record && tempRootOf(argAfter(record.command, "--dir") ?? "");
    if (tempRoot !== undefined) await rm(tempRoot, { recursive: true, force: true });
    await rm(pidFile(pid), { force: true });
  }
  return killed;
}

function argAfter(command: string[], flag: string): string | undefined {
  const index = command.indexOf(flag);
  return index === -1 ? undefined : command[index + 1];
}

/** False if the process is already gone. */
function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

function removeSync(file: string): void {
  try {
    rmSync(file, { recursive: true, force: true });
  } catch {
    // best effort while the process is going down
  }
}

function killRecordedServersSync(): void {
  for (const pid of livePids) {
    sendSignal(pid, "SIGKILL");
    removeSync(pidFile(pid));
  }
  livePids.clear();
  for (const dir of ownedTempDirs) removeSync(dir);
  ownedTempDirs.clear();
}

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on("exit", killRecordedServersSync);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = () => {
      killRecordedServersSync();
      // Listening to a signal disables Node's default "terminate"; if nobody else handles it,
      // re-raise it so the process still dies with that signal.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// ---------------------------------------------------------------------------
// Servers

function findOnPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, command), fsConstants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

export function assertRedisInstalled(): void {
  if (!findOnPath("redis-server")) throw new Error(REDIS_SERVER_MISSING);
}

const TEMP_PREFIX = "sessionkit-test-";
const ownedTempDirs = new Set<string>();

/** A fresh os.tmpdir()/sessionkit-test-<random>; also removed by the exit handlers. */
export async function createTempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
  ownedTempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  ownedTempDirs.delete(dir);
}

/** The os.tmpdir()/sessionkit-test-* dir that holds `dir`, if any. */
function tempRootOf(dir: string): string | undefined {
  const [first] = path.relative(os.tmpdir(), dir).split(path.sep);
  return first?.startsWith(TEMP_PREFIX) ? path.join(os.tmpdir(), first) : undefined;
}

export interface StartRedisServerOptions {
  /** Fixed port; by default a free one is chosen (and re-chosen if another process grabs it first). */
  port?: number;
  /** Extra arguments appended after the common ones. */
  args?: string[];
  /** Working dir (log, nodes.conf); by default a fresh temp dir that stop() removes. */
  dir?: string;
  /** Used in error messages. */
  name?: string;
  /** Config file passed as the first argument (Redis only accepts it there), e.g. for Sentinel. */
  configFile?: string;
  /**
   * TLS only: `--port 0 --tls-port <port>` with these certificates, `tls-replication` and `tls-cluster`
   * on (replicas, Sentinel and the cluster bus speak TLS too, presenting the same certificate), clients
   * must present a certificate of the CA unless `authClients` says otherwise. `port` and `url`
   * (rediss://) are then the TLS port's; the harness's own commands (redisCommand) use TLS to it.
   */
  tls?: { certificates: TestCertificates; authClients?: "yes" | "no" | "optional" };
}

export interface RedisServerHandle {
  readonly host: string;
  readonly port: number;
  /** Pid of the current process (changes on restart). */
  readonly pid: number;
  readonly url: string;
  readonly dir: string;
  /** SIGTERM, wait for exit (SIGKILL after 3 s), remove the PID file (and the dir if the harness created it). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit, for failure tests. */
  kill(): Promise<void>;
  /** Start again on the same port and dir with the same args; resolves once it answers PING. */
  restart(): Promise<void>;
}

class PortConflictError extends Error {}

function spawnError(err: Error): Error {
  return (err as NodeJS.ErrnoException).code === "ENOENT" ? new Error(REDIS_SERVER_MISSING) : err;
}

function buildArgv(
  port: number,
  dir: string,
  args: string[],
  configFile: string | undefined,
  tlsOptions: StartRedisServerOptions["tls"],
): string[] {
  const ports = tlsOptions
    ? [
        ...["--port", "0", "--tls-port", String(port)],
        ...["--tls-cert-file", tlsOptions.certificates.certFile],
        ...["--tls-key-file", tlsOptions.certificates.keyFile],
        ...["--tls-ca-cert-file", tlsOptions.certificates.caFile],
        ...["--tls-auth-clients", tlsOptions.authClients ?? "yes"],
        ...["--tls-replication", "yes", "--tls-cluster", "yes"],
      ]
    : ["--port", String(port)];
  const common = [
    ...(configFile === undefined ? [] : [configFile]),
    ...ports,
    ...["--bind", REDIS_HOST, "--save", "", "--appendonly", "no"],
    ...["--dir", dir, "--logfile", path.join(dir, "redis.log"), "--daemonize", "no"],
    // Diskless sync waits 5 s by default for more replicas before streaming the RDB.
    ...["--repl-diskless-sync-delay", "0"],
  ];
  return [...common, ...args];
}

async function tailOf(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n") || "(empty)";
}

class RedisServer implements RedisServerHandle {
  readonly host = REDIS_HOST;
  readonly url: string;
  private child: ChildProcess | undefined;
  private currentPid = 0;
  private exitStatus: string | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = "";
  private stderrClosed: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    readonly dir: string,
    private readonly argv: string[],
    private readonly name: string,
    private readonly ownsDir: boolean,
    tlsOptions?: StartRedisServerOptions["tls"],
  ) {
    this.url = `${tlsOptions ? "rediss" : "redis"}://${REDIS_HOST}:${port}`;
    if (tlsOptions) {
      const { ca, cert, key, servername } = tlsOptions.certificates;
      tlsClientOptions.set(port, { ca, cert, key, servername });
    }
  }

  get pid(): number {
    return this.currentPid;
  }

  async launch(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.exitStatus = undefined;
    this.stderr = "";
    const child = spawn("redis-server", this.argv, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    // Config errors go to stderr before the log file is opened; keep the end for error messages.
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-2000);
    });
    this.stderrClosed = new Promise((resolve) => child.stderr?.once("close", resolve));
    const spawnFailed = new Promise<Error>((resolve) => child.on("error", resolve));
    if (child.pid === undefined) throw spawnError(await spawnFailed);
    this.currentPid = child.pid;
    this.exited = this.track(child, child.pid);
    try {
      await this.waitUntilReady(child.pid);
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  /** Records the pid; the returned promise settles once the process exited and its PID file is gone. */
  private track(child: ChildProcess, pid: number): Promise<void> {
    livePids.add(pid);
    const recorded = writePidFile(pid, { harnessPid: process.pid, port: this.port, command: this.command() });
    return new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitStatus = signal === null ? `exit code ${code}` : `signal ${signal}`;
        livePids.delete(pid);
        void recorded
          .then(() => rm(pidFile(pid), { force: true }))
          .catch(() => undefined)
          .then(() => resolve());
      });
    });
  }

  private command(): string[] {
    return ["redis-server", ...this.argv];
  }

  private printableCommand(): string {
    return this.command()
      .map((arg) => (arg === "" ? '""' : arg))
      .join(" ");
  }

  private async waitUntilReady(pid: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = "none";
    while (Date.now() < deadline) {
      if (this.exitStatus !== undefined) throw await this.startupError(`exited (${this.exitStatus})`);
      let answered = false;
      try {
        answered = (await redisCommand(this.port, "PING")) === "PONG";
      } catch (err) {
        lastError = errorMessage(err);
      }
      if (answered) return this.assertOwnsPort(pid);
      await delay(POLL_INTERVAL_MS);
    }
    throw await this.startupError(
      `did not answer PING within ${READY_TIMEOUT_MS} ms (last error: ${lastError})`,
    );
  }

  /** Another process may have taken the port between the probe and our bind. */
  private async assertOwnsPort(pid: number): Promise<void> {
    const owner = (await redisInfo(this.port, "server")).process_id;
    if (owner !== String(pid)) {
      throw new PortConflictError(`port ${this.port} is answered by another redis-server (pid ${owner})`);
    }
  }

  private async startupError(problem: string): Promise<Error> {
    // "exit" can come before the last stderr chunk has been read.
    await settlesWithin(this.stderrClosed, 500);
    const log = path.join(this.dir, "redis.log");
    const message = [
      `redis-server "${this.name}" (port ${this.port}, pid ${this.currentPid}) ${problem}.`,
      `Command: ${this.printableCommand()}`,
      this.stderr.trim() ? `stderr:\n${this.stderr.trim()}` : "",
      `Log tail (${log}):\n${await tailOf(log)}`,
    ]
      .filter(Boolean)
      .join("\n");
    const conflict = message.includes("Address already in use");
    return conflict ? new PortConflictError(message) : new Error(message);
  }

  private async terminate(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    if (this.exitStatus === undefined) {
      child.kill(signal);
      if (signal === "SIGTERM" && !(await settlesWithin(this.exited, STOP_GRACE_MS))) child.kill("SIGKILL");
    }
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.terminate("SIGTERM");
    if (this.ownsDir) await removeTempDir(this.dir);
  }

  kill(): Promise<void> {
    return this.terminate("SIGKILL");
  }

  async restart(): Promise<void> {
    await this.terminate("SIGTERM");
    await this.launch();
  }
}

export async function startRedisServer(opts: StartRedisServerOptions = {}): Promise<RedisServerHandle> {
  assertRedisInstalled();
  installExitHandlers();
  const args = opts.args ?? [];
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await createTempDir());
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await findFreePort({ withBusPort: args.includes("--cluster-enabled") }));
    const argv = buildArgv(port, dir, args, opts.configFile, opts.tls);
    const server = new RedisServer(port, dir, argv, opts.name ?? `redis-${port}`, ownsDir, opts.tls);
    try {
      await server.launch();
      return server;
    } catch (err) {
      const retry =
        err instanceof PortConflictError && opts.port === undefined && attempt < MAX_PORT_ATTEMPTS;
      if (!retry) {
        if (ownsDir) await removeTempDir(dir);
        throw err;
      }
    }
  }
}
