import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { redactSecrets, sameOriginWithToken } from "../../../src/dashboard/http-io.js";

const TOKEN = "t".repeat(43);

function request(headers: Record<string, string>): IncomingMessage {
  return { headers: { host: "127.0.0.1:3000", ...headers } } as unknown as IncomingMessage;
}

describe("redactSecrets", () => {
  it("masks the credentials of any URL, leaves the rest", () => {
    expect(redactSecrets('{"m":"redis://default:s3cret@10.0.0.1:6379 refused"}')).toBe(
      '{"m":"redis://***@10.0.0.1:6379 refused"}',
    );
    expect(redactSecrets("rediss://:pw@h:1 and sentinel://u:p@h:2")).toBe(
      "rediss://***@h:1 and sentinel://***@h:2",
    );
    expect(redactSecrets("redis://127.0.0.1:6379 mail a@b.c")).toBe("redis://127.0.0.1:6379 mail a@b.c");
  });
});

describe("sameOriginWithToken", () => {
  it("needs the token, and refuses another origin or a cross-site fetch even with it", () => {
    expect(sameOriginWithToken(request({ "x-csrf-token": TOKEN }), TOKEN)).toBe(true);
    expect(
      sameOriginWithToken(
        request({ "x-csrf-token": TOKEN, origin: "http://127.0.0.1:3000", "sec-fetch-site": "same-origin" }),
        TOKEN,
      ),
    ).toBe(true);
    expect(sameOriginWithToken(request({}), TOKEN)).toBe(false);
    expect(sameOriginWithToken(request({ "x-csrf-token": "x".repeat(43) }), TOKEN)).toBe(false);
    expect(sameOriginWithToken(request({ "x-csrf-token": TOKEN, origin: "http://evil.test" }), TOKEN)).toBe(
      false,
    );
    expect(
      sameOriginWithToken(request({ "x-csrf-token": TOKEN, "sec-fetch-site": "cross-site" }), TOKEN),
    ).toBe(false);
    expect(
      sameOriginWithToken(request({ "x-csrf-token": TOKEN, "sec-fetch-site": "same-site" }), TOKEN),
    ).toBe(false);
  });
});
