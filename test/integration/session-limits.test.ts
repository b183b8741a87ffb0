import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DemoFixture, startDemoFixture } from "../support/demo-fixture.js";

const { standalone } = inject("redis");

/**
 * Rule 17 as an attacker meets it through the demo: an anonymous client cannot grow its session past the
 * limits, one PATCH at a time or with one deep value, and what was stored before stays exactly as it was.
 */
describe("session limits (rule 17)", () => {
  let demo: DemoFixture;
  beforeAll(async () => {
    demo = await startDemoFixture(standalone.port, "limits", {
      maxSessionBytes: 64 * 1024,
      maxAttributes: 200,
    });
  });
  afterAll(() => demo?.close());

  async function stored(browser: ReturnType<DemoFixture["browser"]>): Promise<Record<string, unknown>> {
    return (await browser.get("/api/session")).json<{ data: Record<string, unknown> }>().data;
  }

  it("refuses attribute after attribute past maxAttributes with 413, keeping what was stored", async () => {
    const browser = demo.browser();
    const batch = (from: number) =>
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${from + i}`, i]));
    let refusedAt = -1;
    for (let round = 0; round < 10 && refusedAt === -1; round++) {
      const response = await browser.request("PATCH", "/api/session", { json: batch(round * 50) });
      if (response.status === 413) refusedAt = round;
      else expect(response.status).toBe(200);
    }
    expect(refusedAt).toBe(4); // 200 attributes fit; the 201st to 250th do not
    const data = await stored(browser);
    expect(Object.keys(data)).toHaveLength(200);
    expect(data.k199).toBe(49);
    expect(data.k200).toBeUndefined();
  });

  it("refuses growth past maxSessionBytes with 413; nothing of the refused change is written", async () => {
    const browser = demo.browser();
    const chunk = "x".repeat(20 * 1024);
    for (const name of ["a", "b", "c"]) {
      expect((await browser.request("PATCH", "/api/session", { json: { [name]: chunk } })).status).toBe(200);
    }
    const refused = await browser.request("PATCH", "/api/session", { json: { d: chunk, small: 1 } });
    expect(refused.status).toBe(413);
    const data = await stored(browser);
    expect(Object.keys(data).sort()).toEqual(["a", "b", "c"]);
    // Shrinking is always allowed.
    expect((await browser.request("PATCH", "/api/session", { json: { a: null, d: "ok" } })).status).toBe(200);
  });

  it("refuses a value nested 10,000 levels deep with 413 instead of a 500", async () => {
    const browser = demo.browser();
    await browser.request("PATCH", "/api/session", { json: { user: "ann" } });
    // Written by hand: JSON.stringify itself overflows the stack on such a value.
    const body = `{"deep":${"[".repeat(10_000)}1${"]".repeat(10_000)}}`;
    const response = await fetch(`${demo.baseUrl}/api/session`, {
      method: "PATCH",
      headers: { "content-type": "application/json", cookie: `sid=${browser.cookies.get("sid")}` },
      body,
    });
    expect(response.status).toBe(413);
    expect(await stored(browser)).toEqual({ user: "ann" });
  });
});
