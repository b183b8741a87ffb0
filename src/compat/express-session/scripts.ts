import { defineLuaScript } from "../../redis/lua-script.js";

/**
 * Every key command of the store is one script through the core's RedisConnection seam (EVALSHA with an
 * EVAL fallback), so the store runs on every client and topology the core supports without a seam of its
 * own. Each script touches the keys of one session only, and those share a hash tag: cluster-safe.
 */

/** KEYS[1] record. */
export const getScript = defineLuaScript("return redis.call('GET', KEYS[1])");

/**
 * KEYS[1] record, KEYS[2] tombstone; ARGV[1] value, ARGV[2] TTL ms. Writes value and TTL in one command
 * (no key without a TTL) unless the session was destroyed: a slow request that saves after logout must
 * not bring the session back. Returns 1 when written, 0 when refused.
 */
export const setScript = defineLuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/**
 * KEYS[1] record, KEYS[2] tombstone; ARGV[1] value, ARGV[2] TTL ms. Rewrites an existing record with the
 * session's new cookie expiry and TTL (express-session's own MemoryStore keeps the new expiry too); SET XX
 * never creates a key, so a touch after logout or expiry is a no-op. Returns 1 when written.
 */
export const touchScript = defineLuaScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PX', ARGV[2]) then return 1 end
return 0
`);

/** KEYS[1] record, KEYS[2] tombstone; ARGV[1] tombstone TTL ms. */
export const destroyScript = defineLuaScript(`
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1
`);
