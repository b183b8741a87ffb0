import type { PrincipalDirectory, PrincipalSession } from "../session/principal-directory.js";
import type { SessionEventLog } from "../session/session-events.js";
import { principalIndexId } from "../session/session-id.js";
import { encodedAttributesOf } from "../session/session-record.js";
import { handleOf, keyIdOfHandle } from "../store/key-id.js";
import { idleDeadline, MetaField } from "../store/record-meta.js";
import type { PrincipalIndexStore } from "../store/session-store.js";

export interface PrincipalSessionsOptions {
  store: PrincipalIndexStore;
  /** Revoked sessions are unscheduled and reported as "destroyed" (reason "revoked") when events are on. */
  events: SessionEventLog | undefined;
  idleTimeoutMs: number;
  now: () => number;
}

/** A principal's sessions, through the store's principal index (the index prunes ended ones as it reads). */
export function createPrincipalSessions(options: PrincipalSessionsOptions): PrincipalDirectory {
  const { store, events, idleTimeoutMs, now } = options;
  return {
    async list(principal, currentKeyId) {
      const currentHandle = currentKeyId === undefined ? undefined : handleOf(currentKeyId);
      const indexed = await store.listIndexed(principalIndexId(principal), now(), idleTimeoutMs);
      return indexed.map(({ handle, fields }) => {
        const lastAccessAt = Number(fields[MetaField.lastAccessAt]);
        const absoluteDeadline = Number(fields[MetaField.absoluteDeadline]);
        const ownIdle = fields[MetaField.idleTimeout];
        const times = ownIdle
          ? { lastAccessAt, absoluteDeadline, idleTimeoutMs: Number(ownIdle) }
          : { lastAccessAt, absoluteDeadline };
        const item: PrincipalSession = {
          handle,
          createdAt: Number(fields[MetaField.createdAt]),
          lastAccessAt,
          idleDeadline: idleDeadline(times, idleTimeoutMs),
          absoluteDeadline,
          current: handle === currentHandle,
        };
        const userAgent = fields[MetaField.userAgent];
        const ip = fields[MetaField.ip];
        if (userAgent) item.userAgent = userAgent;
        if (ip) item.ip = ip;
        return item;
      });
    },

    async revoke(principal, { handles, keepKeyId }) {
      const indexId = principalIndexId(principal);
      const includeData = events?.includeData ?? false;
      const revoked = await store.revokeIndexed(indexId, {
        ...(handles === undefined ? {} : { handles }),
        ...(keepKeyId === undefined ? {} : { keep: handleOf(keepKeyId) }),
        withFields: includeData,
      });
      if (events) {
        for (const { handle, fields } of revoked) {
          const keyId = keyIdOfHandle(indexId, handle);
          await events.unschedule(keyId);
          await events.publish(
            {
              type: "destroyed",
              keyId,
              principal,
              reason: "revoked",
              ...(includeData ? { data: encodedAttributesOf(fields) } : {}),
            },
            now(),
          );
        }
      }
      return revoked.length;
    },
  };
}
