import { eventFromEntry } from "../events/event-entry.js";
import type { RedisConnection } from "../redis/connection/redis-connection.js";
import type { KeyLayout } from "../redis/key-layout.js";
import { withTimeout } from "../redis/with-timeout.js";
import type { SessionEvent } from "../session/session-events.js";

export interface EventTailOptions {
  /** Epoch ms: events from then on. Default: the whole stream. */
  since?: number;
  /** Keep polling for new events until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Poll interval while following, ms. Default 500. */
  pollIntervalMs?: number;
  /** Entries per XRANGE. Default 500. */
  batchSize?: number;
}

/**
 * The namespace's event stream, oldest first, read with XRANGE (no consumer group: tailing acknowledges
 * nothing and takes nothing from the app's consumers). Following polls instead of blocking in XREAD, so
 * every call stays bounded by the command timeout.
 */
export async function* tailEvents(
  connection: RedisConnection,
  keys: KeyLayout,
  timeoutMs: number,
  options: EventTailOptions = {},
): AsyncGenerator<SessionEvent> {
  const count = String(options.batchSize ?? 500);
  let start = options.since === undefined ? "-" : `${Math.max(0, Math.floor(options.since))}-0`;
  for (;;) {
    options.signal?.throwIfAborted();
    const entries = (await withTimeout(
      "XRANGE",
      timeoutMs,
      () => connection.command(keys.eventsKey, ["XRANGE", keys.eventsKey, start, "+", "COUNT", count]),
      connection.lastError,
    )) as [string, string[]][];
    for (const [id, fields] of entries) {
      const event = eventFromEntry(id, fields);
      if (event !== null) yield event;
      start = `(${id}`;
    }
    if (entries.length === Number(count)) continue;
    if (!options.follow) return;
    await sleep(options.pollIntervalMs ?? 500, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
