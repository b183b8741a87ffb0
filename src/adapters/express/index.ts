import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { SessionOptions } from "../../create-session-manager.js";
import type { Session, SessionData } from "../../session/session.js";
import type { SessionManager } from "../../session/session-manager.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";
import { NodeSessionRequest } from "../node/attach-session.js";
import { commitBeforeResponse } from "../node/commit-before-response.js";
import { useDictionaryProperties } from "../node/dictionary-mode.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

declare global {
  namespace Express {
    interface Request {
      /**
       * The request's session (sessionkit). Type attributes by augmenting `SessionData` in "sessionkit".
       * `req.session = null` destroys it (cookie-session's logout).
       */
      session: Session & Partial<SessionData>;
      /** The session ID, as express-session's `req.sessionID`. Secret: never log it. */
      sessionID: string;
    }
  }
}

export interface ExpressSessionMiddleware extends RequestHandler, AdapterHandle {}

/**
 * Express middleware: `app.use(session({ redis: process.env.REDIS_URL, secret }))`. Sets `req.session`
 * and `req.sessionID`; commits before the response leaves. Under the fail-closed policy a Redis failure
 * goes to `next(err)` with `err.status` 503, so Express's error handling answers it.
 */
export function session(options: SessionOptions | SessionManager): ExpressSessionMiddleware {
  return defineAdapter(options, (manager) => (req: Request, res: Response, next: NextFunction) => {
    // req gets req.session here and more properties from Express's router later: see dictionary-mode.ts.
    useDictionaryProperties(req);
    manager.load(new NodeSessionRequest(req, req.secure)).then((loaded) => {
      req.session = loaded;
      Object.defineProperty(req, "sessionID", SESSION_ID);
      commitBeforeResponse(res, () =>
        // A handler that set req.session to null (or deleted it) logs the session out.
        req.session == null ? manager.commitEnded(loaded) : manager.commitUnlessQuiet(loaded),
      );
      next();
    }, next);
  });
}

/** req.sessionID follows req.session.id (a regenerate changes it); one descriptor for every request. */
const SESSION_ID: PropertyDescriptor = {
  get(this: Request): string | undefined {
    return this.session?.id;
  },
  enumerable: true,
  configurable: true,
};

export type { SessionOptions };
