import { createServer } from "node:http";
import flash from "connect-flash";
import express from "express";
import { Passport } from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { session } from "../../src/adapters/express/index.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";

interface User {
  id: string;
  username: string;
}

const USERS: Record<string, User & { password: string }> = {
  ann: { id: "u-ann", username: "ann", password: "correct horse battery staple" },
};

/**
 * The login every Express tutorial has: passport + passport-local + connect-flash on the native adapter,
 * against a real Redis. Passport 0.6+ calls req.session.regenerate(cb) and save(cb) inside req.login()
 * and req.logout(): before the callback forms, every login and logout hung.
 */
function passportApp(redisUrl: string, namespace: string) {
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS[username];
      if (!user || user.password !== password) {
        done(null, false, { message: "Wrong username or password." });
        return;
      }
      done(null, { id: user.id, username: user.username });
    }),
  );
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => {
    const user = Object.values(USERS).find((candidate) => candidate.id === id);
    done(null, user ? { id: user.id, username: user.username } : false);
  });

  const sessions = session({ redis: redisUrl, namespace, secret: TEST_SECRET, logger: false });
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  app.use(sessions);
  app.use(flash());
  app.use(passport.session());
  app.get("/me", (req, res) => {
    res.json({ user: req.user ?? null, errors: req.flash("error"), sessionID: req.sessionID });
  });
  app.post("/cart", (req, res) => {
    (req.session as unknown as Record<string, unknown>).basket = ["book"];
    res.json({ ok: true });
  });
  app.post(
    "/login",
    passport.authenticate("local", { failureRedirect: "/me", failureFlash: true }),
    (_req, res) => res.redirect(303, "/me"),
  );
  app.post("/logout", (req, res, next) => {
    req.logout((error) => (error ? next(error) : res.redirect(303, "/me")));
  });
  return { app, sessions };
}

describe("Passport on the native Express adapter", () => {
  let server: Awaited<ReturnType<typeof listen>>;
  let sessions: ReturnType<typeof session>;

  beforeAll(async () => {
    const { standalone } = inject("redis");
    const built = passportApp(standalone.url, testNamespace("passport"));
    sessions = built.sessions;
    await sessions.ready();
    server = await listen(createServer(built.app));
  });
  afterAll(async () => {
    await server?.close();
    await sessions?.close();
  });

  it("a wrong password redirects with a flash message, shown once, and logs nobody in", async () => {
    const browser = new Browser(server.baseUrl);
    const failed = await browser.request("POST", "/login", { form: { username: "ann", password: "nope" } });
    expect(failed.status).toBe(302);
    const me = await browser.get("/me");
    expect(me.json()).toMatchObject({ user: null, errors: ["Wrong username or password."] });
    expect((await browser.get("/me")).json()).toMatchObject({ user: null, errors: [] });
  });

  it("logs in (a new session ID: fixation prevented), keeps req.user across requests, logs out", async () => {
    const browser = new Browser(server.baseUrl);
    await browser.request("POST", "/cart");
    const anonymous = browser.cookies.get("sid");
    const anonymousId = (await browser.get("/me")).json<{ sessionID: string }>().sessionID;
    expect(anonymous).toBeDefined();

    const login = await browser.request("POST", "/login", {
      form: { username: "ann", password: "correct horse battery staple" },
    });
    expect(login.status).toBe(303);
    const loggedIn = browser.cookies.get("sid");
    expect(loggedIn).not.toBe(anonymous);
    const me = (await browser.get("/me")).json<{ user: User; sessionID: string }>();
    expect(me.user).toEqual({ id: "u-ann", username: "ann" });
    expect(me.sessionID).not.toBe(anonymousId);
    expect((await browser.get("/me")).json()).toMatchObject({ user: { username: "ann" } });

    // The pre-login cookie (what an attacker who fixed it holds) is not logged in.
    const attacker = new Browser(server.baseUrl);
    attacker.cookies.set("sid", anonymous as string);
    expect((await attacker.get("/me")).json()).toMatchObject({ user: null });

    const logout = await browser.request("POST", "/logout");
    expect(logout.status).toBe(303);
    expect((await browser.get("/me")).json()).toMatchObject({ user: null });
    // The logged-in cookie, replayed after the logout, is not logged in either.
    const replay = new Browser(server.baseUrl);
    replay.cookies.set("sid", loggedIn as string);
    expect((await replay.get("/me")).json()).toMatchObject({ user: null });
  });

  it("two logins in parallel tabs both end logged in as the same user", async () => {
    const browser = new Browser(server.baseUrl);
    await browser.request("POST", "/cart");
    const form = { username: "ann", password: "correct horse battery staple" };
    const [a, b] = await Promise.all([
      browser.request("POST", "/login", { form }),
      browser.request("POST", "/login", { form }),
    ]);
    expect([a.status, b.status]).toEqual([303, 303]);
    expect((await browser.get("/me")).json()).toMatchObject({ user: { username: "ann" } });
  });
});
