/** sessionkit/admin: what operators' tools (the CLI, a dashboard, the demo) use to see and repair sessions. */
export type {
  ConnectRedisConversionOptions,
  ConnectRedisConversionReport,
} from "./connect-redis-conversion.js";
export type { DecodedSession, RedactedValue } from "./decoded-session.js";
export type { CheckStatus, DoctorCheck, DoctorOptions, DoctorReport } from "./doctor.js";
export type { EventTailOptions } from "./event-tail.js";
export type { Histogram, HistogramBucket } from "./histogram.js";
export { foldKeyPattern } from "./key-pattern.js";
export type { ScanPacing, ScanPosition, ScanProgress } from "./paced-scan.js";
export type { PurgeReport } from "./purge.js";
export { formatBytes } from "./redis-facts.js";
export {
  type AdminListedSession,
  createSessionAdmin,
  SessionAdmin,
  type SessionAdminOptions,
} from "./session-admin.js";
export type { EventStreamStats, SessionStats, StatsOptions } from "./session-stats.js";
export type { TtlAuditOptions, TtlAuditReport } from "./ttl-audit.js";
