import type { Redis } from "ioredis";

const ignore = (): void => {};

/**
 * A TLS connection that fails can emit more than one error on its socket (the reset of a refused write,
 * then the server's alert). ioredis listens to a socket's errors with once(), so a second one would be an
 * uncaught exception and end the process. Every socket the client opens gets a listener that keeps it
 * quiet: the first error still reaches ioredis (and sessionkit's reporting); later ones are dropped.
 * ioredis assigns each new socket to `client.stream`, so the listener is added there.
 */
export function absorbLateSocketErrors(client: Redis): void {
  let stream = (client as unknown as { stream?: unknown }).stream;
  Object.defineProperty(client, "stream", {
    configurable: true,
    enumerable: true,
    get: () => stream,
    set: (next: unknown) => {
      stream = next;
      (next as { on?: (event: string, listener: () => void) => unknown } | undefined)?.on?.("error", ignore);
    },
  });
}
