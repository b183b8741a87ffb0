import type { Redis } from "ioredis";

/** The part of ioredis's internals this relies on (test/integration/write-batch.test.ts fails if it changes). */
interface UnfulfilledQueue {
  prevCommandQueue?: {
    length: number;
    shift(): { command: { reject(error: Error): void } } | undefined;
  } | null;
}

/**
 * Fails the commands that were in flight when a connection dropped. sessionkit turns ioredis's
 * autoResendUnfulfilledCommands off (a write answered 503 must not land later), and then ioredis keeps
 * those commands aside and drops them on the next "ready" without settling their promises. Rejecting them
 * at "reconnecting" (emitted right after ioredis set them aside) settles every command: the caller learns
 * the connection closed, nothing is sent again.
 */
export function rejectUnfulfilledOnReconnect(client: Redis): void {
  client.on("reconnecting", () => {
    const internals = client as unknown as UnfulfilledQueue;
    const queue = internals.prevCommandQueue;
    if (!queue) return;
    internals.prevCommandQueue = null;
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      item.command.reject(
        new Error("Connection is closed (the command was in flight and is not sent again)."),
      );
    }
  });
}
