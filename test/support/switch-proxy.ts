import type { AddressInfo } from "node:net";
import { createConnection, createServer, type Socket } from "node:net";

export interface SwitchProxy {
  port: number;
  /** "forward": a plain TCP proxy; "silent": connections are accepted, read and never answered. */
  mode: "forward" | "silent";
  /** Closes every open connection (the client sees its Redis connection drop). */
  dropAll(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a Redis port whose behaviour a test switches: a new connection
 * is forwarded, or accepted and left unanswered (a server that hangs after accept, which only a
 * client-side timeout gets out of).
 */
export async function startSwitchProxy(targetPort: number): Promise<SwitchProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  };
  const proxy: SwitchProxy = {
    port: 0,
    mode: "forward",
    dropAll() {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        proxy.dropAll();
        server.close(() => resolve());
      }),
  };
  const server = createServer((client) => {
    track(client);
    if (proxy.mode === "silent") {
      client.resume();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
