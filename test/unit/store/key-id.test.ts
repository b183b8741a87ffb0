import { describe, expect, it } from "vitest";
import {
  generateSessionId,
  principalIndexId,
  principalTag,
  sessionKeyId,
} from "../../../src/session/session-id.js";
import { handleOf, keyIdOfHandle } from "../../../src/store/key-id.js";

describe("key ids and handles", () => {
  it("a tagged keyId's handle is its hash, and the principal's index gives the keyId back", () => {
    const keyId = sessionKeyId(generateSessionId(principalTag("u1")));
    const [tag, hash] = keyId.split(".");
    expect(tag).toBe(principalTag("u1"));
    expect(handleOf(keyId)).toBe(hash);
    expect(keyIdOfHandle(principalIndexId("u1"), handleOf(keyId))).toBe(keyId);
    expect(handleOf("abcdefg.HASH")).toBe("HASH");
    expect(keyIdOfHandle("abcdefg.PRINCIPALHASH", "HASH")).toBe("abcdefg.HASH");
  });

  it("an untagged keyId is its own handle", () => {
    const keyId = sessionKeyId(generateSessionId());
    expect(keyId).not.toContain(".");
    expect(handleOf(keyId)).toBe(keyId);
    expect(handleOf("HASH")).toBe("HASH");
  });
});
