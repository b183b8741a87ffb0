import { createServer } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import { session } from "../../../src/adapters/express/index.js";
import type { AdapterHarness } from "../../contracts/adapter.contract.js";
import { socketTransport } from "../client.js";
import { contractRoute, statusOf } from "./routes.js";

export const expressHarness: AdapterHarness = {
  name: "Express",
  async start(manager) {
    const app = express();
    app.use(session(manager));
    app.use(async (req, res) => {
      const result = await contractRoute(req.method, req.originalUrl, req.session);
      if (result.location) res.redirect(result.status, result.location);
      else res.status(result.status).json(result.body);
    });
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      res.status(statusOf(error)).json({ error: String(error) });
    });
    const socket = await socketTransport(createServer(app));
    return { socket: socket.transport, close: socket.close };
  },
};
