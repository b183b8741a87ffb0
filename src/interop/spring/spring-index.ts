import { SessionError } from "../../common/errors.js";
import { bytesToText, textToBytes } from "../byte-scripts.js";
import type { ForeignRedis } from "../foreign-redis.js";
import {
  SPRING_PRINCIPAL_NAME_ATTRIBUTE,
  SPRING_SECURITY_CONTEXT_ATTRIBUTE,
  type SpringFormat,
} from "./spring-format.js";
import { expirationMinute, type SpringRecord } from "./spring-record.js";
import { SET_CHANGE_SCRIPT, SET_MEMBERS_SCRIPT } from "./spring-scripts.js";

/** Spring's indexed repository keeps a session's hash five minutes past its expiry, for the expired event. */
export const GRACE_SECONDS = 300;

/** A write of a session hash, as the index needs to know it. */
export interface IndexedWrite<N> {
  id: string;
  /** The session as read before the write (none for a new session). */
  before: SpringRecord<N> | undefined;
  /** Its attributes after the write. */
  after: ReadonlyMap<string, N>;
  intervalSeconds: number;
  nowMs: number;
}

/**
 * What RedisIndexedSessionRepository keeps beside each hash: the principal index (a set of session IDs
 * per principal name), the shadow key whose expiry fires Spring's SessionExpiredEvent, and the set of
 * shadow keys expiring in each minute (its sweeper's). Their members go through the app's serializer, as
 * Spring writes them. They sit in other slots than the hash, so each is its own command.
 */
export interface SpringIndex<N> {
  /** The principal name Spring's PrincipalNameIndexResolver finds in these attributes. */
  principalOf(attributes: ReadonlyMap<string, N>): string | undefined;
  /** What saveDelta does beside the hash. */
  afterWrite(write: IndexedWrite<N>): Promise<void>;
  /** What deleteById does before it expires the hash: out of the principal index and the expirations. */
  forget(id: string, before: SpringRecord<N>): Promise<void>;
  /** The session IDs the principal's index names (entries that do not decode are left out). */
  sessionIdsOf(name: string): Promise<string[]>;
  /** Removes an entry that can never name a live session again (its hash is gone). */
  drop(name: string, id: string): Promise<void>;
}

export function springIndex<N>(format: SpringFormat<N>, redis: ForeignRedis): SpringIndex<N> {
  const { codec, keys } = format;
  /** A string as the members of Spring's sets hold it: through the default serializer. */
  const member = (value: string) => bytesToText(codec.encode(codec.fromValue(value)));
  const change = (what: string, key: string, args: string[]) =>
    redis.script(what, SET_CHANGE_SCRIPT, key, args);
  const expiryMinuteOf = (record: SpringRecord<N>) =>
    expirationMinute(record.lastAccessedTime + record.maxInactiveSeconds * 1000);

  const principalOf = (attributes: ReadonlyMap<string, N>): string | undefined => {
    const named = attributes.get(SPRING_PRINCIPAL_NAME_ATTRIBUTE);
    if (named !== undefined) return codec.stringOf(named);
    const context = attributes.get(SPRING_SECURITY_CONTEXT_ATTRIBUTE);
    return context === undefined ? undefined : codec.securityContextPrincipal(context);
  };

  return {
    principalOf,
    async afterWrite(w) {
      const memberOfId = member(w.id);
      const shadowMember = member(`expires:${w.id}`);
      const commands: Promise<unknown>[] = [];
      const before = w.before ? principalOf(w.before.attributes) : undefined;
      const after = principalOf(w.after);
      if (before !== after) {
        if (before !== undefined)
          commands.push(change("Spring principal index", keys.principal(before), ["rem", memberOfId]));
        if (after !== undefined)
          commands.push(change("Spring principal index", keys.principal(after), ["add", memberOfId]));
      }
      const minute = expirationMinute(w.nowMs + w.intervalSeconds * 1000);
      if (w.before) {
        const old = expiryMinuteOf(w.before);
        if (old !== minute)
          commands.push(change("Spring expirations", keys.expirations(old), ["rem", shadowMember]));
      }
      commands.push(
        change("Spring expirations", keys.expirations(minute), [
          "add",
          shadowMember,
          String(w.intervalSeconds + GRACE_SECONDS),
        ]),
      );
      const shadow = keys.shadow(w.id);
      commands.push(
        redis.call("Spring shadow key", async (connection) => {
          await connection.command(shadow, ["APPEND", shadow, ""]);
          await connection.command(shadow, ["EXPIRE", shadow, String(w.intervalSeconds)]);
        }),
      );
      await Promise.all(commands);
    },
    async forget(id, before) {
      const principal = principalOf(before.attributes);
      await Promise.all([
        principal === undefined
          ? undefined
          : change("Spring principal index", keys.principal(principal), ["rem", member(id)]),
        change("Spring expirations", keys.expirations(expiryMinuteOf(before)), [
          "rem",
          member(`expires:${id}`),
        ]),
      ]);
    },
    async sessionIdsOf(name) {
      const members = (await redis.script(
        "Spring principal index",
        SET_MEMBERS_SCRIPT,
        keys.principal(name),
        [],
      )) as string[];
      const ids: string[] = [];
      for (const raw of members) {
        try {
          const id = codec.stringOf(codec.decode(textToBytes(raw)));
          if (id !== undefined && format.idOf(format.cookieValueOf(id)) !== undefined) ids.push(id);
        } catch (error) {
          if (!(error instanceof SessionError)) throw error;
        }
      }
      return ids;
    },
    async drop(name, id) {
      await change("Spring principal index", keys.principal(name), ["rem", member(id)]);
    },
  };
}
