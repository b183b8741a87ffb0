// Run as its own process with some client packages hidden (test/support/hide-packages.mjs): an Express
// app on a Redis URL, as the README writes it. Prints one JSON line: what ready() said, what a login got.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { session } from "../../src/adapters/express/index.js";

const [redisUrl, namespace] = process.argv.slice(2) as [string, string];
const logged: string[] = [];
const sessions = session({
  redis: redisUrl,
  namespace,
  secret: "probe-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
  logger: { warn: (line) => logged.push(line), error: (line) => logged.push(line) },
});
const app = express();
app.use(sessions);
app.post("/login", (req, res) => {
  req.session.user = "ann";
  res.json({ ok: true });
});
const ready = await sessions.ready().then(
  () => "ok",
  (error: Error) => error.message,
);
const server = createServer(app);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
const login = await fetch(`http://127.0.0.1:${port}/login`, { method: "POST" });
console.log(JSON.stringify({ ready, status: login.status, body: await login.text(), logged }));
server.close();
await sessions.close();
