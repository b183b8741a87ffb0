import { type ServerType, serve } from "@hono/node-server";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { type SessionEnv, session } from "../../../src/adapters/hono/index.js";
import type { AdapterHarness } from "../../contracts/adapter.contract.js";
import { type Transport, toResponse } from "../client.js";
import { contractRoute } from "./routes.js";

export const honoHarness: AdapterHarness = {
  name: "Hono",
  async start(manager) {
    const app = new Hono<SessionEnv>();
    app.use(session(manager));
    // Hono's default handler, without its console.error: the contract's /fail route throws on purpose.
    app.onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text("failed", 500)));
    app.all("*", async (c) => {
      const result = await contractRoute(c.req.method, c.req.url, c.get("session"));
      if (result.location) return c.redirect(result.location, 303);
      return c.json(result.body, result.status as 200);
    });
    const server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started));
    });
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const socket: Transport = async ({ method, path, headers }) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers,
        redirect: "manual",
      });
      return toResponse(response.status, response.headers, await response.text());
    };
    const inject: Transport = async ({ method, path, headers }) => {
      const response = await app.request(path, { method, headers });
      return toResponse(response.status, response.headers, await response.text());
    };
    const close = () =>
      new Promise<void>((resolve, reject) => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    return { socket, inject, close };
  },
};
