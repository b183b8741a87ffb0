import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { Session, SessionData } from "../../session/session.js";
import { SessionManager } from "../../session/session-manager.js";
import type { SessionOptions } from "../../session/session-options.js";
import { attachSession } from "../node/attach-session.js";
import { useDictionaryProperties } from "../node/dictionary-mode.js";

declare global {
  namespace Express {
    interface Request {
      /** The request's session (sessionkit). Type attributes by augmenting `SessionData` in "sessionkit". */
      session: Session & Partial<SessionData>;
    }
  }
}

export interface ExpressSessionMiddleware extends RequestHandler {
  readonly manager: SessionManager;
  /** Closes the Redis connection sessionkit opened (not a client the app handed in). */
  close(): Promise<void>;
}

/**
 * Express middleware: `app.use(session({ redis: process.env.REDIS_URL, secret }))`. Sets `req.session`;
 * commits before the response leaves. Under the fail-closed policy a Redis failure goes to `next(err)`
 * with `err.status` 503, so Express's error handling answers it.
 */
export function session(options: SessionOptions | SessionManager): ExpressSessionMiddleware {
  const manager = options instanceof SessionManager ? options : new SessionManager(options);
  const middleware = ((req: Request, res: Response, next: NextFunction) => {
    // req gets req.session here and more properties from Express's router later: see dictionary-mode.ts.
    useDictionaryProperties(req);
    attachSession(manager, req, res, req.secure).then((loaded) => {
      req.session = loaded;
      next();
    }, next);
  }) as ExpressSessionMiddleware;
  Object.defineProperty(middleware, "manager", { value: manager });
  (middleware as { close: () => Promise<void> }).close = () => manager.close();
  return middleware;
}

export type { SessionOptions };
