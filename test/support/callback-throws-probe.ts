// Run as its own process (test/compat/express-session-store.test.ts): a callback that throws must end as
// an uncaught exception, the way callback APIs fail, never as an unhandled rejection.
import { RedisStore } from "../../src/compat/express-session/index.js";

const [redisUrl, namespace] = process.argv.slice(2) as [string, string];
process.on("unhandledRejection", () => {
  console.log("outcome: unhandledRejection");
  process.exit(3);
});
process.on("uncaughtException", (error) => {
  console.log(`outcome: uncaughtException ${error.message}`);
  process.exit(4);
});
const store = new RedisStore({ redis: redisUrl, namespace, prefix: false });
store.get("no-such-session", () => {
  throw new Error("thrown by the app's callback");
});
setTimeout(() => {
  console.log("outcome: nothing");
  process.exit(5);
}, 5000).unref();
