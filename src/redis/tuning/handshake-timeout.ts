import type { Cluster, Redis } from "ioredis";
import type { IoredisClient } from "../connection/ioredis-connection.js";

/** The clients given to timeoutOnlyWhileConnecting, with their timeout (for quitBounded). */
const handshakeTimeouts = new WeakMap<object, number>();

/**
 * Gives ioredis's `commandTimeout` only to the commands ioredis sends itself, not to sessionkit's.
 *
 * ioredis arms a timer per command when `commandTimeout` is set (a setTimeout and a clearTimeout around
 * every GET, a measurable share of a read's CPU: bench/README.md). sessionkit bounds each of its own
 * calls already (with-timeout.ts), so while the client is ready that timer only costs. While it is not,
 * ioredis's timer is what bounds ioredis's own commands: the handshake after each connect (CLIENT SETINFO,
 * the INFO ready check; a connection that is accepted but never answers would otherwise stay "connect"
 * for ever, and nothing would reconnect it) and QUIT at close (see `quitBounded`).
 *
 * ioredis reads `options.commandTimeout` each time it sends a command, so the timeout is dropped when
 * the client becomes ready and set again when its connection closes, before a reconnect starts its
 * handshake (ioredis waits retryStrategy's delay, 50 ms and more here, after "close").
 */
export function timeoutOnlyWhileConnecting(client: Redis, timeoutMs: number): void {
  const options = client.options as { commandTimeout?: number };
  options.commandTimeout = timeoutMs;
  handshakeTimeouts.set(client, timeoutMs);
  client.on("ready", () => {
    options.commandTimeout = undefined;
  });
  client.on("close", () => {
    options.commandTimeout = timeoutMs;
  });
  if (client.status === "ready") options.commandTimeout = undefined;
}

/**
 * QUIT, and the socket closed if QUIT fails: bounded by the client's command timeout (which a client of
 * timeoutOnlyWhileConnecting gets back for it), as a frozen server never answers. A Cluster sends QUIT
 * through each of its node clients.
 */
export async function quitBounded(client: IoredisClient): Promise<void> {
  const senders = (client as Cluster).isCluster === true ? (client as Cluster).nodes() : [client];
  for (const sender of senders) {
    const timeoutMs = handshakeTimeouts.get(sender);
    if (timeoutMs !== undefined) (sender.options as { commandTimeout?: number }).commandTimeout = timeoutMs;
  }
  await client.quit().catch(() => client.disconnect());
}
