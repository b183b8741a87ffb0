import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDemoApp, type EventFeed, watchEvents } from "../../demo/app.js";
import { session } from "../../src/adapters/express/index.js";
import { listen, TEST_SECRET, testNamespace } from "../support/browser.js";

/**
 * The dashboard as an operator uses it: the demo (demo/app.ts, with its /admin mount and login form) on a
 * real Redis, driven through Debian's Chromium by playwright-core. Screenshots go to test-artifacts/.
 */
const ARTIFACTS = path.resolve("test-artifacts/dashboard");
const TOKEN = "dashboard-test-token-0123456789";
const ADMIN_COOKIE = "sk-admin-test";
let browser: Browser;
let sessions: ReturnType<typeof session>;
let events: EventFeed | undefined;
let demo: Awaited<ReturnType<typeof listen>>;
let evil: Awaited<ReturnType<typeof listen>>;
const contexts: BrowserContext[] = [];
/** The operator's page, logged in once (a Chromium context costs about a second on 2 cores). */
let admin: Page;
/** Browser steps on a loaded 2-core machine take seconds each. */
const STEPS_TIMEOUT_MS = 60_000;

async function newContext(userAgent = "sessionkit-test"): Promise<Page> {
  const context = await browser.newContext({ userAgent, viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  return context.newPage();
}

/** Logs a browser in through the demo's own form, as a user does. */
async function demoLogin(user: string, userAgent: string): Promise<Page> {
  const page = await newContext(userAgent);
  await page.goto(`${demo.baseUrl}/`);
  await page.fill("input[name=user]", user);
  await page.click("form[action='/login'] button");
  await page.waitForSelector(`text=Logged in as ${user}`);
  return page;
}

async function adminLogin(): Promise<Page> {
  const page = await newContext();
  await page.goto(`${demo.baseUrl}/admin-login`);
  await page.fill("input[name=token]", TOKEN);
  await page.click("button");
  await page.waitForSelector("#stat-sessions");
  return page;
}

beforeAll(async () => {
  const executablePath = execFileSync("node", ["scripts/ensure-chromium.mjs"], { encoding: "utf8" })
    .trim()
    .split(" ")
    .pop() as string;
  mkdirSync(ARTIFACTS, { recursive: true });
  const { standalone } = inject("redis");
  sessions = session({
    redis: standalone.url,
    namespace: testNamespace("dashboard"),
    secret: TEST_SECRET,
    idleTimeout: "30m",
    index: { recordDevice: true },
    events: { includeData: false },
    logger: false,
  });
  await sessions.ready();
  events = watchEvents(sessions.manager);
  const admin = { token: TOKEN, secret: TEST_SECRET, cookieName: ADMIN_COOKIE, idleTimeout: "30m" };
  demo = await listen(createServer(createDemoApp(sessions, "test", events, admin)));
  // Another origin (another port: the same site, so the SameSite=Strict admin cookie is still sent).
  evil = await listen(
    createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form id="f" method="post" action="${demo.baseUrl}/admin/api/revoke" enctype="text/plain">
<input name='{"principal":"bob","all":true,"x":"' value='"}'></form><script>document.getElementById("f").submit()</script>`);
    }),
  );
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
}, 300_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await evil?.close();
  await demo?.close();
  await events?.stop();
  await sessions?.close();
});

describe("the dashboard in Chromium, mounted by the demo at /admin", () => {
  it("refuses requests without the token: 401 for the page and the API, wrong bearer included", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Bearer wrong" },
      { cookie: `${ADMIN_COOKIE}=forged` },
    ];
    for (const headers of attempts) {
      expect((await fetch(`${demo.baseUrl}/admin/`, { headers })).status).toBe(401);
      expect((await fetch(`${demo.baseUrl}/admin/api/overview`, { headers })).status).toBe(401);
    }
    const page = await newContext();
    const response = await page.goto(`${demo.baseUrl}/admin/`);
    expect(response?.status()).toBe(401);
    expect(await page.textContent("body")).toContain("401 Unauthorized");
    // The page, not the overview: an overview now would be reused by the next test's page for a few seconds.
    const bearer = await fetch(`${demo.baseUrl}/admin/`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it(
    "overview counts the demo's logins; a principal search lists their devices; a session page hides values and the ID",
    async () => {
      const laptop = await demoLogin("ann", "Ann-Laptop");
      await demoLogin("ann", "Ann-Phone");
      await demoLogin("bob", "Bob-Desktop");
      admin = await adminLogin();
      expect(await admin.textContent("#stat-sessions")).toBe("3");
      expect(await admin.textContent("#stat-principals")).toBe("2");
      expect(await admin.locator("figure svg").count()).toBe(3);
      await admin.screenshot({ path: path.join(ARTIFACTS, "overview.png"), fullPage: true });
      // The demo's GET /metrics counted the same logins (sessionkit/metrics, Prometheus text format).
      const exposition = await (await fetch(`${demo.baseUrl}/metrics`)).text();
      expect(exposition).toMatch(/^sessionkit_sessions_created_total 3$/m);

      await admin.goto(`${demo.baseUrl}/admin/#/search?by=principal&q=ann`);
      await admin.waitForSelector("#results");
      const devices = await admin.locator("#results td.device").allTextContents();
      expect(devices.map((d) => d.split(" ")[0]).sort()).toEqual(["Ann-Laptop", "Ann-Phone"]);
      await admin.screenshot({ path: path.join(ARTIFACTS, "search.png"), fullPage: true });

      await admin.locator("#results a").first().click();
      await admin.waitForSelector("#session-meta");
      expect(await admin.textContent("#session-data")).toContain('"type": "string"');
      expect(await admin.textContent("#session-data")).not.toContain('"ann"');
      await admin.screenshot({ path: path.join(ARTIFACTS, "session.png"), fullPage: true });
      await admin.click("#reveal");
      await admin.waitForSelector("text=Hide values");
      expect(await admin.textContent("#session-data")).toContain('"user": "ann"');
      // No session ID anywhere: not ann's laptop's ID (the part of its cookie before the signature).
      const cookie = (await laptop.context().cookies()).find((c) => c.name === "sid");
      const value = decodeURIComponent(cookie?.value ?? "");
      const id = value.slice(0, value.lastIndexOf("."));
      expect(id.length).toBeGreaterThan(40);
      const shown = await admin.content();
      for (const part of [id, ...id.split(".")].filter((p) => p.length > 20))
        expect(shown).not.toContain(part);
    },
    STEPS_TIMEOUT_MS,
  );

  it(
    "revoking a device from the page logs that browser out, and only that one",
    async () => {
      const phone = await demoLogin("dan", "Dan-Phone");
      const laptop = await demoLogin("dan", "Dan-Laptop");
      await admin.goto(`${demo.baseUrl}/admin/#/search?by=principal&q=dan`);
      await admin.waitForSelector("#results");
      const row = admin.locator("tr.session-row", { hasText: "Dan-Phone" });
      await row.locator("button.revoke").click();
      await admin.locator("tr.session-row", { hasText: "Dan-Phone" }).waitFor({ state: "detached" });
      expect(await admin.locator("tr.session-row").count()).toBe(1);
      await phone.reload();
      expect(await phone.textContent("body")).toContain("Anonymous.");
      await laptop.reload();
      expect(await laptop.textContent("body")).toContain("Logged in as dan");
    },
    STEPS_TIMEOUT_MS,
  );

  it(
    "the live event stream shows a login made in another browser context",
    async () => {
      await admin.goto(`${demo.baseUrl}/admin/#/events`);
      await admin.waitForSelector("text=Listening");
      await demoLogin("erin", "Erin-Tablet");
      await admin.waitForSelector("li.event:has-text('erin')", { timeout: 10_000 });
      expect(await admin.textContent("li.event")).toContain("created");
      await admin.screenshot({ path: path.join(ARTIFACTS, "events.png"), fullPage: true });
    },
    STEPS_TIMEOUT_MS,
  );

  it(
    "a cross-site POST is refused (403) although the admin cookie goes with it; the page's own POSTs pass",
    async () => {
      const refused = admin.waitForResponse((r) => r.url().endsWith("/admin/api/revoke"));
      await admin.goto(evil.baseUrl);
      expect((await refused).status()).toBe(403);
      // A client that sends the cookie but not the page's token, or claims another origin, is refused too.
      const cookie = (await admin.context().cookies()).find((c) => c.name === ADMIN_COOKIE);
      const headers = { cookie: `${ADMIN_COOKIE}=${cookie?.value}`, "content-type": "application/json" };
      const body = JSON.stringify({ principal: "bob", all: true });
      const post = (extra: Record<string, string>) =>
        fetch(`${demo.baseUrl}/admin/api/revoke`, {
          method: "POST",
          headers: { ...headers, ...extra },
          body,
        });
      expect((await post({})).status).toBe(403);
      expect((await post({ origin: evil.baseUrl, "x-csrf-token": "guess" })).status).toBe(403);
      // Bob's sessions are all still there.
      await admin.goto(`${demo.baseUrl}/admin/#/search?by=principal&q=bob`);
      await admin.waitForSelector("#results");
      expect(await admin.locator("tr.session-row").count()).toBe(1);
    },
    STEPS_TIMEOUT_MS,
  );
});
