import Fastify from "fastify";
import { session } from "../../../src/adapters/fastify/index.js";
import type { AdapterHarness } from "../../contracts/adapter.contract.js";
import { type Transport, toResponse } from "../client.js";
import { contractRoute } from "./routes.js";

export const fastifyHarness: AdapterHarness = {
  name: "Fastify",
  async start(manager) {
    const app = Fastify();
    await app.register(session(manager));
    app.all("/*", async (request, reply) => {
      const result = await contractRoute(request.method, request.url, request.session);
      if (result.location) return reply.redirect(result.location, result.status);
      return reply.code(result.status).send(result.body);
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
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
      const response = await app.inject({ method: method as "GET" | "POST", url: path, headers });
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (item !== undefined) responseHeaders.append(name, String(item));
        }
      }
      return toResponse(response.statusCode, responseHeaders, response.body);
    };
    return { socket, inject, close: () => app.close() };
  },
};
