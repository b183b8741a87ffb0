import { describe, expect, it } from "vitest";
import { parseSessionTarget } from "../../../src/admin/session-target.js";
import { createKeyLayout } from "../../../src/redis/key-layout.js";
import { CookieSigner } from "../../../src/session/cookies/cookie-signer.js";
import { generateSessionId, principalIndexId, sessionKeyId } from "../../../src/session/session-id.js";
import { keyIdOfHandle } from "../../../src/store/key-id.js";

const SECRET = "unit-test-secret-0123456789-abcdefghijklmnop";
const keys = createKeyLayout("sk", "default");
const context = { keyIdOfSessionKey: keys.keyIdOfSessionKey, secret: SECRET };

describe("parseSessionTarget", () => {
  const id = generateSessionId("Ab3dE5g");
  const keyId = sessionKeyId(id);

  it("turns a cookie value, a session ID and a Redis key into the keyId", () => {
    const cookie = new CookieSigner(SECRET).sign(id);
    expect(parseSessionTarget(cookie, context)).toEqual({ kind: "keyId", keyId });
    expect(parseSessionTarget(encodeURIComponent(cookie), context)).toEqual({ kind: "keyId", keyId });
    expect(parseSessionTarget(id, context)).toEqual({ kind: "keyId", keyId });
    expect(parseSessionTarget(keys.sessionKey(keyId), context)).toEqual({ kind: "keyId", keyId });
  });

  it("takes a handle as it is, or with the principal's tag when the principal is given", () => {
    const handle = keyId.slice(keyId.indexOf(".") + 1);
    expect(parseSessionTarget(handle, context)).toEqual({ kind: "handle", handle });
    expect(parseSessionTarget(handle, { ...context, principal: "ann" })).toEqual({
      kind: "keyId",
      keyId: keyIdOfHandle(principalIndexId("ann"), handle),
    });
  });

  it("refuses a cookie that does not verify, a cookie without a secret, and anything else", () => {
    const forged = new CookieSigner("another-secret-0123456789-abcdefghijklmnop").sign(id);
    expect(parseSessionTarget(forged, context)).toMatchObject({ kind: "invalid", reason: /does not verify/ });
    expect(parseSessionTarget(forged, { keyIdOfSessionKey: keys.keyIdOfSessionKey })).toMatchObject({
      kind: "invalid",
      reason: /--secret/,
    });
    expect(parseSessionTarget("hello", context)).toMatchObject({ kind: "invalid", reason: /not a session/ });
  });
});
