/**
 * For apps that still have @types/express-session while they move to sessionkit/express: both declare
 * `Express.Request.session`, and TypeScript keeps whichever declaration it meets first, so a file that
 * imports "express-session" before "sessionkit/express" types `req.session` as express-session's, where
 * `await req.session.regenerate()` is an error (TS2554). Loading these declarations once,
 *
 *   import type {} from "sessionkit/express-session-types";
 *
 * adds sessionkit's promise forms and methods to express-session's Session type as overloads, so the code
 * compiles whichever declaration wins (the object at run time is sessionkit's either way). Only for apps
 * with @types/express-session installed (it augments that package).
 */
import "express-session";
import type { SessionMeta } from "sessionkit";

declare module "express-session" {
  interface Session {
    regenerate(options?: { keepData?: boolean }): Promise<void>;
    setPrincipal(principal: string): Promise<void>;
    setPrincipal(principal: string, callback: (error?: unknown) => void): this;
    destroy(): Promise<void>;
    save(): Promise<void>;
    reload(): Promise<void>;
    readonly meta: SessionMeta;
  }
}
