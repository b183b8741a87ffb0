import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { SessionOptions } from "../../create-session-manager.js";
import type { Session, SessionData } from "../../session/session.js";
import type { SessionManager } from "../../session/session-manager.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";
import { attachSession } from "../node/attach-session.js";
import { useDictionaryProperties } from "../node/dictionary-mode.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

declare global {
  namespace Express {
    interface Request {
      /** The request's session (sessionkit). Type attributes by augmenting `SessionData` in "sessionkit". */
      session: Session & Partial<SessionData>;
    }
  }
}

export interface ExpressSessionMiddleware extends RequestHandler, AdapterHandle {}

/**
 * Express middleware: `app.use(session({ redis: process.env.REDIS_URL, secret }))`. Sets `req.session`;
 * commits before the response leaves. Under the fail-closed policy a Redis failure goes to `next(err)`
 * with `err.status` 503, so Express's error handling answers it.
 */
export function session(options: SessionOptions | SessionManager): ExpressSessionMiddleware {
  return defineAdapter(options, (manager) => (req: Request, res: Response, next: NextFunction) => {
    // req gets req.session here and more properties from Express's router later: see dictionary-mode.ts.
    useDictionaryProperties(req);
    attachSession(manager, req, res, req.secure).then((loaded) => {
      req.session = loaded;
      next();
    }, next);
  });
}

export type { SessionOptions };
