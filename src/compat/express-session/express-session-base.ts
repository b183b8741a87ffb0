import { createRequire } from "node:module";
import { SessionConfigError } from "../../common/errors.js";

/** The methods of express-session's Store base class that a store inherits rather than implements. */
export interface ExpressSessionStoreMethods {
  regenerate(this: object, req: object, callback: (error?: unknown) => void): void;
  load(this: object, sid: string, callback: (error: unknown, session?: unknown) => void): void;
  createSession(this: object, req: object, session: object): unknown;
}

let methods: ExpressSessionStoreMethods | undefined;

/**
 * express-session's Store.prototype, loaded on first use. createSession builds express-session's own
 * Cookie and Session objects, so it must come from express-session; loading it lazily keeps the store
 * usable with @fastify/session, whose users do not have express-session installed. Only express-session
 * calls these methods, so it is there whenever they run.
 */
export function expressSessionStoreMethods(): ExpressSessionStoreMethods {
  if (methods === undefined) {
    let loaded: { Store: { prototype: ExpressSessionStoreMethods } };
    try {
      loaded = createRequire(import.meta.url)("express-session");
    } catch (error) {
      throw new SessionConfigError(
        `load() / regenerate() / createSession() need the express-session package (${(error as Error).message})`,
      );
    }
    methods = loaded.Store.prototype;
  }
  return methods;
}
