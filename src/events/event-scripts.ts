import { defineLuaScript } from "../redis/lua-script.js";
import { LUA_UNPACK_RECORD } from "../redis/packed-record.js";
import { MetaField } from "../store/record-meta.js";

const { lastAccessAt: A, absoluteDeadline: X, idleTimeout: I } = MetaField;

/**
 * Claims up to ARGV[3] due entries of one expiry-schedule bucket (KEYS[1]): entries whose score (the
 * session's deadline) is <= ARGV[1] are pushed to ARGV[2] (now + lease) and returned. A claimed entry
 * is invisible to other sweepers until its lease ends; the claimer removes it once its event is
 * published, so a sweeper that dies mid-way only delays the event (at-least-once).
 */
export const claimDueScript = defineLuaScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due
`);

/**
 * Reads a scheduled session to decide whether it has ended. KEYS[1] = session record; ARGV[1] = now,
 * ARGV[2] = idle timeout (ms) of a session without its own. Returns {"missing"}, {"alive", deadline} or {"expired", reason, record}
 * (the packed record, redis/packed-record.ts; reason "corrupt" and no record when it does not parse).
 * Deadline and reason are store/record-meta.ts's sessionDeadline and expiryOf, in Lua
 * (test/integration/deadline-formula.test.ts runs both on the same records).
 * It deletes nothing: the sweeper deletes the record only after the event is in the stream, so a
 * publish that fails (the stream's primary is failing over) is retried with the data intact.
 * Requests never see such a record: deadlines are checked in code.
 */
export const expireIfDueScript = defineLuaScript(`${LUA_UNPACK_RECORD}
local current = redis.pcall('GET', KEYS[1])
if current == false then return {'missing'} end
local f = nil
if type(current) == 'string' then
  local names, values = unpack_record(current)
  if names then f = values end
end
if f == nil then return {'expired', 'corrupt'} end
local a = tonumber(f['${A}'])
local x = tonumber(f['${X}'])
if a == nil or x == nil then return {'expired', 'corrupt'} end
local idleDeadline = a + (tonumber(f['${I}']) or tonumber(ARGV[2]))
if math.min(idleDeadline, x) > tonumber(ARGV[1]) then
  return {'alive', tostring(math.min(idleDeadline, x))}
end
local reason = 'idle'
if x <= idleDeadline then reason = 'absolute' end
return {'expired', reason, current}
`);

/**
 * Adds a session to an expiry-schedule bucket (KEYS[1]) and keeps the bucket alive for ARGV[3] ms past
 * its latest deadline (rule 1: no key without a TTL): a sweeper that starts within that time still
 * reports every session that ended meanwhile. ARGV[1] = deadline (ms), ARGV[2] = key id.
 */
export const scheduleScript = defineLuaScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/**
 * Appends an event (KEYS[1] = stream) trimmed to about ARGV[1] entries, and keeps the stream ARGV[2] ms
 * past its newest event: an app that stops publishing leaves nothing behind for ever.
 * ARGV[3 ..] = field/value pairs.
 */
export const appendEventScript = defineLuaScript(`
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3, #ARGV))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return id
`);
