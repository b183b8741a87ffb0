import { createServer } from "node:http";
import { session } from "../../../src/adapters/node/index.js";
import type { AdapterHarness } from "../../contracts/adapter.contract.js";
import { socketTransport } from "../client.js";
import { contractRoute, statusOf } from "./routes.js";

export const nodeHarness: AdapterHarness = {
  name: "node:http",
  async start(manager) {
    const loadSession = session(manager);
    const server = createServer(async (req, res) => {
      try {
        const s = await loadSession(req, res);
        const result = await contractRoute(req.method ?? "GET", req.url ?? "/", s);
        if (result.location) res.writeHead(result.status, { Location: result.location }).end();
        else
          res
            .writeHead(result.status, { "Content-Type": "application/json" })
            .end(JSON.stringify(result.body));
      } catch (error) {
        // Plain node:http has no error handler of its own: the app answers with the error's status.
        if (!res.headersSent) res.writeHead(statusOf(error)).end(String(error));
      }
    });
    const socket = await socketTransport(server);
    return { socket: socket.transport, close: socket.close };
  },
};
