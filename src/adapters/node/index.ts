import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionOptions } from "../../create-session-manager.js";
import type { SessionData, SessionWithData } from "../../session/session.js";
import type { SessionManager } from "../../session/session-manager.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";
import { attachSession } from "./attach-session.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

export interface NodeSessionLoader extends AdapterHandle {
  /**
   * Loads the session of `req` (one Redis round trip) and holds `res` until the session's changes are
   * committed. Rejects with a SessionError (`status` 503) when Redis fails under the fail-closed policy.
   */
  <Data = SessionData>(req: IncomingMessage, res: ServerResponse): Promise<SessionWithData<Data>>;
}

/** Sessions for a plain node:http server: `const s = await loadSession(req, res)`. */
export function session(options: SessionOptions | SessionManager): NodeSessionLoader {
  return defineAdapter(
    options,
    (manager) => (req: IncomingMessage, res: ServerResponse) => attachSession(manager, req, res),
  ) as NodeSessionLoader;
}

export { commitBeforeResponse } from "./commit-before-response.js";
export type { SessionOptions };
