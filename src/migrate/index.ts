// The root entry's declarations load with this subpath's (see adapters/express/index.ts).
export type {} from "../index.js";
export type {
  LegacyRequest,
  LegacySession,
  LegacySource,
  MigrationOptions,
  MigrationStage,
} from "../session/legacy-source.js";
export {
  type CookieSessionSourceOptions,
  cookieSession,
  type KoaSessionSourceOptions,
  koaSession,
} from "./cookie-session.js";
export { type ExpressSessionSourceOptions, expressSession } from "./express-session.js";
export type { LegacyCookieOptions } from "./signed-json-cookie.js";
