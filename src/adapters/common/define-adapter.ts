import { createSessionManager, type SessionOptions } from "../../create-session-manager.js";
import { SessionManager } from "../../session/session-manager.js";

/** What every adapter's `session()` returns besides the framework's own middleware or plugin. */
export interface AdapterHandle {
  /** The manager behind the adapter: for listSessions, revokeAllSessions, events. */
  readonly manager: SessionManager;
  /**
   * Resolves once the session store can serve (see SessionManager.ready); rejects with the error requests
   * would get. `await sessions.ready()` before `listen()`.
   */
  ready(): Promise<void>;
  /**
   * Closes the manager (and the Redis connection it opened) when the adapter created it from options. A
   * manager the app passed in is the app's to close: it may be shared with other adapters.
   */
  close(): Promise<void>;
}

/**
 * The part every adapter shares: `session(options)` builds a manager, `session(manager)` shares one.
 * `build` makes the framework's middleware; `ownsManager` tells it whether the manager is its to close
 * (Fastify closes it with the app).
 */
export function defineAdapter<Middleware extends object>(
  options: SessionOptions | SessionManager,
  build: (manager: SessionManager, ownsManager: boolean) => Middleware,
): Middleware & AdapterHandle {
  const ownsManager = !(options instanceof SessionManager);
  const manager = options instanceof SessionManager ? options : createSessionManager(options);
  const middleware = build(manager, ownsManager);
  Object.defineProperty(middleware, "manager", { value: manager, enumerable: true });
  Object.defineProperty(middleware, "ready", { value: () => manager.ready(), enumerable: true });
  Object.defineProperty(middleware, "close", {
    value: () => (ownsManager ? manager.close() : Promise.resolve()),
    enumerable: true,
  });
  return middleware as Middleware & AdapterHandle;
}
