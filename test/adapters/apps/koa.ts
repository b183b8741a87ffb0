import { createServer } from "node:http";
import Koa from "koa";
import { session } from "../../../src/adapters/koa/index.js";
import type { AdapterHarness } from "../../contracts/adapter.contract.js";
import { socketTransport } from "../client.js";
import { contractRoute } from "./routes.js";

export const koaHarness: AdapterHarness = {
  name: "Koa",
  async start(manager) {
    const app = new Koa();
    // The contract's /fail route throws on purpose; Koa would print each one.
    app.silent = true;
    app.use(session(manager));
    app.use(async (ctx) => {
      const result = await contractRoute(ctx.method, ctx.url, ctx.session);
      ctx.status = result.status;
      if (result.location) ctx.set("Location", result.location);
      else ctx.body = result.body;
    });
    const socket = await socketTransport(createServer(app.callback()));
    return { socket: socket.transport, close: socket.close };
  },
};
