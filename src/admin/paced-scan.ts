import { SessionConfigError } from "../common/errors.js";
import type { RedisConnection, RedisNodeHandle } from "../redis/connection/redis-connection.js";
import { withTimeout } from "../redis/with-timeout.js";

/** How a long scan behaves towards a production Redis and its caller. */
export interface ScanPacing {
  /** SCAN COUNT: how much work Redis does per call (it blocks the server for that long). Default 1000. */
  count?: number;
  /**
   * Keys per second across all primaries, at most (the per-key commands of a batch go out together,
   * then the scan waits until the rate allows the next batch). 0: no limit. Default 0 for the API; the
   * CLI defaults to 50,000.
   */
  rate?: number;
  /** Stops the scan between two batches: the scan rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every batch (not per key) with the running totals. */
  onProgress?: (progress: ScanProgress) => void;
  /** Go on from where a stopped scan was (its last progress's `resume`), instead of from the start. */
  resume?: ScanPosition;
}

/**
 * Where a scan goes on: a primary (host:port) and its SCAN cursor. SCAN guarantees that a key present for
 * the whole scan is returned, also when the scan is continued later from a cursor, so a long audit that
 * was stopped loses nothing by going on from here (primaries are scanned in address order).
 */
export interface ScanPosition {
  node: string;
  cursor: string;
}

export interface ScanProgress {
  /** Keys returned by SCAN so far (SCAN may return a key twice while a table is being resized). */
  scanned: number;
  /** Primaries done, and how many there are. */
  nodesDone: number;
  nodes: number;
  /** Where a scan that stops here would go on (`ScanPacing.resume`); null when it is complete. */
  resume: ScanPosition | null;
}

/** One batch of keys from one primary: every key of it lives on `node`, so per-key commands go there. */
export interface ScanBatch {
  node: RedisNodeHandle;
  keys: string[];
}

export const DEFAULT_SCAN_COUNT = 1000;

/**
 * Every key matching `pattern` on every primary (a cluster's keys are spread over its primaries; replicas
 * hold copies), one batch at a time: the caller handles a batch before the next SCAN is sent, so memory
 * stays at one batch whatever the size of the keyspace. Each call is bounded by the command timeout.
 */
export async function* pacedScan(
  connection: RedisConnection,
  pattern: string,
  timeoutMs: number,
  pacing: ScanPacing = {},
): AsyncGenerator<ScanBatch> {
  const count = String(pacing.count ?? DEFAULT_SCAN_COUNT);
  const rate = pacing.rate ?? 0;
  const primaries = (
    await withTimeout("topology discovery", timeoutMs, () => connection.primaries(), connection.lastError)
  ).sort((a, b) => a.address.localeCompare(b.address));
  const first =
    pacing.resume === undefined ? 0 : primaries.findIndex((n) => n.address === pacing.resume?.node);
  if (first === -1) {
    throw new SessionConfigError(
      `cannot resume at ${pacing.resume?.node}: not a primary now (${primaries.map((n) => n.address).join(", ")})`,
    );
  }
  const startedAt = performance.now();
  let scanned = 0;
  for (let index = first; index < primaries.length; index++) {
    const node = primaries[index] as RedisNodeHandle;
    let cursor = index === first && pacing.resume !== undefined ? pacing.resume.cursor : "0";
    do {
      pacing.signal?.throwIfAborted();
      const [next, keys] = (await withTimeout(
        "SCAN",
        timeoutMs,
        () => node.call(["SCAN", cursor, "MATCH", pattern, "COUNT", count]),
        connection.lastError,
      )) as [string, string[]];
      cursor = String(next);
      scanned += keys.length;
      if (keys.length > 0) yield { node, keys };
      const following = primaries[index + 1];
      pacing.onProgress?.({
        scanned,
        nodesDone: cursor === "0" ? index + 1 : index,
        nodes: primaries.length,
        resume:
          cursor !== "0"
            ? { node: node.address, cursor }
            : following === undefined
              ? null
              : { node: following.address, cursor: "0" },
      });
      if (rate > 0) await paceTo(startedAt, scanned, rate, pacing.signal);
    } while (cursor !== "0");
  }
}

/** Sleeps until `done` keys at `rate` keys/s would have taken as long as the scan has run. */
async function paceTo(startedAt: number, done: number, rate: number, signal?: AbortSignal): Promise<void> {
  const aheadMs = (done / rate) * 1000 - (performance.now() - startedAt);
  if (aheadMs <= 1) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, aheadMs);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Sends one command per key of a batch to the batch's node at once (the client writes them together:
 * one round trip for the batch, not one per key) and answers the replies in key order. A reply that is
 * an error (the key moved in a resharding, a permission) is returned as the Error, not thrown. One
 * deadline bounds the whole batch: a timer per key would cost more than the command.
 */
export function perKey(
  batch: ScanBatch,
  command: (key: string) => string[],
  timeoutMs: number,
  explain: () => unknown,
): Promise<unknown[]> {
  const name = `${command("")[0]} (${batch.keys.length} keys)`;
  return withTimeout(
    name,
    timeoutMs,
    () =>
      Promise.all(
        batch.keys.map((key) =>
          batch.node
            .call(command(key))
            .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error)))),
        ),
      ),
    explain,
  );
}
