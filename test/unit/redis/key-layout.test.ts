import { describe, expect, it } from "vitest";
import { SessionConfigError } from "../../../src/common/errors.js";
import { createKeyLayout, DEFAULT_KEY_PREFIX } from "../../../src/redis/key-layout.js";
import { generateSessionId, principalTag, sessionKeyId } from "../../../src/session/session-id.js";

const SHA = "n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg";

describe("Redis key layout", () => {
  const layout = createKeyLayout(DEFAULT_KEY_PREFIX, "default");

  it("keyIdOfSessionKey inverts sessionKey for tagged and untagged keyIds", () => {
    const untagged = sessionKeyId(generateSessionId());
    const tagged = sessionKeyId(generateSessionId(principalTag("u1")));
    expect(layout.sessionKey(untagged)).toBe(`sk:default:s:{${untagged}}`);
    expect(layout.sessionKey(tagged)).toBe(`sk:default:s:{${principalTag("u1")}}${tagged.split(".")[1]}`);
    for (const keyId of [untagged, tagged, "abc", "tag.abc"]) {
      expect(layout.keyIdOfSessionKey(layout.sessionKey(keyId))).toBe(keyId);
    }
  });

  it("keyIdOfSessionKey answers undefined for keys that are not session keys of the namespace", () => {
    for (const key of [
      "sk:default:p:{tag}phash",
      layout.principalIndexKey("tag.phash"),
      "sk:other:s:{abc}",
      "other:default:s:{abc}",
      "sk:default:s:abc",
      "sk:default:s:{abc",
      layout.expressSessionKey(SHA),
      layout.expressSessionTombstoneKey(SHA),
      layout.scheduleKey(3),
      layout.eventsKey,
    ]) {
      expect(layout.keyIdOfSessionKey(key)).toBeUndefined();
    }
  });

  it("builds the express-session store's keys exactly as they are stored", () => {
    expect(layout.expressSessionKey(SHA)).toBe(`sk:default:es:{${SHA}}`);
    expect(layout.expressSessionTombstoneKey(SHA)).toBe(`sk:default:es-gone:{${SHA}}`);
    expect(layout.expressSessionPrefix).toBe("sk:default:es:");
    const custom = createKeyLayout("app", "ns-1");
    expect(custom.expressSessionKey(SHA)).toBe(`app:ns-1:es:{${SHA}}`);
    expect(custom.expressSessionTombstoneKey(SHA)).toBe(`app:ns-1:es-gone:{${SHA}}`);
  });

  it("refuses a prefix or namespace that is not 1-64 characters of A-Z a-z 0-9 . _ -", () => {
    for (const bad of ["", "a:b", "a{b}", "a b", "ü", "x".repeat(65)]) {
      expect(() => createKeyLayout(bad, "default")).toThrow(SessionConfigError);
      expect(() => createKeyLayout(bad, "default")).toThrow(/keyPrefix/);
      expect(() => createKeyLayout("sk", bad)).toThrow(SessionConfigError);
      expect(() => createKeyLayout("sk", bad)).toThrow(/namespace/);
    }
    expect(() => createKeyLayout("A.b_c-9", "x".repeat(64))).not.toThrow();
  });
});
