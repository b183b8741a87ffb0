import type { Redis } from "ioredis";

type Command = Parameters<Redis["sendCommand"]>[0];
type WriteableStream = Parameters<Redis["sendCommand"]>[1];

/**
 * Every command a client sends during one turn of the event loop leaves in ONE write system call: the
 * first command of the turn corks the client's socket and the turn's check phase (setImmediate) uncorks
 * it. On a busy server one turn handles the requests of many connections, so their session GETs (and
 * write scripts) share a write, and their replies come back together in fewer reads. node-redis batches
 * the same way; ioredis writes each command at once, and its auto-pipelining batches only within one
 * tick, that is one request's callbacks (the CPU it saves: bench/README.md). A command waits
 * at most until the end of the turn it was sent in; its reply could not be read before the next turn's
 * poll anyway.
 *
 * Only for clients sessionkit creates: a client an application hands in keeps its own write behaviour.
 */
export function batchWritesPerTurn(client: Redis): void {
  let corked: Redis["stream"] | undefined;
  const uncork = (): void => {
    const stream = corked;
    corked = undefined;
    stream?.uncork();
  };
  const send = client.sendCommand;
  // Pipelines and a cluster's routing reach the node through sendCommand as well.
  // Named parameters, not a rest array: this runs for every command.
  client.sendCommand = function sendBatched(this: Redis, command: Command, stream?: WriteableStream) {
    if (corked === undefined) {
      // Before the first connect there is no socket yet: ioredis queues or refuses the command itself.
      const socket = this.stream as Redis["stream"] | undefined;
      if (socket) {
        socket.cork();
        corked = socket;
        setImmediate(uncork);
      }
    }
    return send.call(this, command, stream);
  };
}
