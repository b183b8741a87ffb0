// An app mid-migration: a file imports express-session (its types are still installed) before
// sessionkit/express. Type-checked by test/integration/express-session-coexistence.test.ts.
import "express-session";
import express from "express";
import { session } from "sessionkit/express";

const app = express();
app.use(session({ redis: "redis://127.0.0.1:6379", secret: "0123456789abcdefghijklmnopqrstuvwxyz" }));
app.post("/login", async (req, res) => {
  await req.session.regenerate();
  await req.session.setPrincipal("u1");
  req.session.save((error) => res.status(error ? 500 : 200).end());
});
app.post("/logout", async (req, res) => {
  await req.session.destroy();
  res.json({ keyId: req.session.meta.keyId });
});
