// Checks the built package from a CommonJS consumer's side: every subpath export loads with require()
// (Node 20.19+ require(esm)) and exposes its entry point.
const expected = {
  sessionkit: "createRedisStore",
  "sessionkit/express": "session",
  "sessionkit/node": "session",
  "sessionkit/fastify": "session",
  "sessionkit/hono": "session",
  "sessionkit/koa": "session",
  "sessionkit/express-session": "RedisStore",
  "sessionkit/admin": "createSessionAdmin",
  "sessionkit/migrate": "cookieSession",
  "sessionkit/metrics": "registerMetrics",
  "sessionkit/dashboard": "createDashboard",
  "sessionkit/interop": "createForeignSessions",
};
for (const [specifier, name] of Object.entries(expected)) {
  const loaded = require(specifier);
  if (typeof loaded[name] !== "function") throw new Error(`${specifier} does not export ${name}()`);
}
console.log(`exports ok: ${Object.keys(expected).join(", ")}`);
