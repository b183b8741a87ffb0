import { createHash } from "node:crypto";
import type { LuaScript } from "./connection/redis-connection.js";

export function defineLuaScript(source: string): LuaScript {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

/** Redis answers NOSCRIPT when its per-node script cache lacks the SHA (restart, failover, SCRIPT FLUSH). */
export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}
