/** One of a principal's sessions, for a "your devices" page. */
export interface PrincipalSession {
  /** Opaque handle for revokeSession: the hash of the session ID, useless as a cookie. */
  handle: string;
  createdAt: number;
  lastAccessAt: number;
  idleDeadline: number;
  absoluteDeadline: number;
  userAgent?: string;
  ip?: string;
  /** This is the session of the request that asked. */
  current: boolean;
}

/**
 * Listing and revoking a principal's sessions: principals/principal-sessions.ts over a store with the
 * principal index capability, given to the manager by the composition root.
 */
export interface PrincipalDirectory {
  /** The principal's live sessions; `currentKeyId` marks the asking request's own. */
  list(principal: string, currentKeyId?: string): Promise<PrincipalSession[]>;
  /** Ends the sessions of `handles` (all when absent) except `keepKeyId`'s; answers how many ended. */
  revoke(principal: string, options: { handles?: string[]; keepKeyId?: string }): Promise<number>;
}
