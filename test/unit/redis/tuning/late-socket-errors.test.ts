import { EventEmitter } from "node:events";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { absorbLateSocketErrors } from "../../../../src/redis/tuning/late-socket-errors.js";

describe("absorbLateSocketErrors", () => {
  it("a socket's second error (after ioredis's once-listener fired) does not throw; the first still reaches ioredis", () => {
    const client = new Redis({ lazyConnect: true });
    absorbLateSocketErrors(client);
    const socket = new EventEmitter();
    const seen: string[] = [];
    // What ioredis does with each new socket.
    (client as unknown as { stream: EventEmitter }).stream = socket;
    socket.once("error", (error: Error) => seen.push(error.message));
    expect(() => socket.emit("error", new Error("write ECONNRESET"))).not.toThrow();
    expect(() => socket.emit("error", new Error("tlsv1 alert decode error"))).not.toThrow();
    expect(seen).toEqual(["write ECONNRESET"]);
    expect((client as unknown as { stream: EventEmitter }).stream).toBe(socket);
    // Without the guard, the same second error is an uncaught exception.
    const bare = new EventEmitter();
    bare.once("error", () => {});
    bare.emit("error", new Error("first"));
    expect(() => bare.emit("error", new Error("second"))).toThrow("second");
    client.disconnect();
  });
});
