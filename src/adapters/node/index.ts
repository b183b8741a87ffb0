import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionData, SessionWithData } from "../../session/session.js";
import { SessionManager } from "../../session/session-manager.js";
import type { SessionOptions } from "../../session/session-options.js";
import { attachSession } from "./attach-session.js";

export interface NodeSessionLoader {
  /**
   * Loads the session of `req` (one Redis round trip) and holds `res` until the session's changes are
   * committed. Rejects with a SessionError (`status` 503) when Redis fails under the fail-closed policy.
   */
  <Data = SessionData>(req: IncomingMessage, res: ServerResponse): Promise<SessionWithData<Data>>;
  readonly manager: SessionManager;
  /** Closes the Redis connection sessionkit opened (not a client the app handed in). */
  close(): Promise<void>;
}

/** Sessions for a plain node:http server: `const s = await loadSession(req, res)`. */
export function session(options: SessionOptions | SessionManager): NodeSessionLoader {
  const manager = options instanceof SessionManager ? options : new SessionManager(options);
  const loader = ((req: IncomingMessage, res: ServerResponse) =>
    attachSession(manager, req, res)) as NodeSessionLoader;
  Object.defineProperty(loader, "manager", { value: manager });
  (loader as { close: () => Promise<void> }).close = () => manager.close();
  return loader;
}

export { commitBeforeResponse } from "./commit-before-response.js";
export type { SessionOptions };
