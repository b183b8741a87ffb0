/**
 * The six apps of the benchmark, with the same routes:
 *   POST /login   creates the session: user, counter 0, a ~1 KB cart (used to fill the session pool)
 *   GET  /read    reads a session value without changing it: the user and the counter
 *   GET  /read-cart  reads the ~1 KB cart too (its item count), without changing it
 *   POST /write   counter + 1 and a new ~1 KB cart of 10 items
 *   GET  /noop    touches no session (the session middleware still runs: the browser sends the cookie)
 * The ceiling apps have no session layer: every route does exactly one GET of a 1 KB value.
 */
export const VARIANTS = [
  "express-sessionkit",
  "fastify-sessionkit",
  "fastify-sessionkit-metrics",
  "fastify-sessionkit-traced",
  "express-connect-redis",
  "fastify-connect-redis",
  "express-ceiling",
  "fastify-ceiling",
  "express-ceiling-dict",
  "fastify-ceiling-plain",
  "fastify-bare-read",
] as const;
export type Variant = (typeof VARIANTS)[number];

export type Framework = "express" | "fastify";
export type Layer = "sessionkit" | "connect-redis" | "ceiling" | "diagnostic";

export const ROUTES = ["read", "read-cart", "write", "noop"] as const;
export type Route = (typeof ROUTES)[number];

export const ROUTE_REQUEST: Record<Route, { method: "GET" | "POST"; path: string }> = {
  read: { method: "GET", path: "/read" },
  "read-cart": { method: "GET", path: "/read-cart" },
  write: { method: "POST", path: "/write" },
  noop: { method: "GET", path: "/noop" },
};

export interface VariantInfo {
  framework: Framework;
  layer: Layer;
  label: string;
  /** How the session layer is configured, for the README. */
  setup: string;
  /** Its requests carry real session cookies (logged in through its /login), not dummy ones. */
  sessionCookies: boolean;
  /** The same app without the one thing this variant adds: the report gives the ratio to it (ratioToBase). */
  base?: Variant;
}

export const VARIANT_INFO: Record<Variant, VariantInfo> = {
  "express-sessionkit": {
    framework: "express",
    layer: "sessionkit",
    label: "(a) Express + sessionkit",
    setup: "sessionkit/express, defaults (touchAfter 5m, idle 1d, persistent cookie), ioredis from a URL",
    sessionCookies: true,
  },
  "fastify-sessionkit": {
    framework: "fastify",
    layer: "sessionkit",
    label: "(b) Fastify + sessionkit",
    setup: "sessionkit/fastify, defaults, ioredis from a URL",
    sessionCookies: true,
  },
  "fastify-sessionkit-metrics": {
    framework: "fastify",
    layer: "diagnostic",
    label: "(j) Fastify + sessionkit + sessionkit/metrics (diagnostic)",
    setup:
      "(b) with registerMetrics(manager) on a prom-client Registry: an observer on the manager (a trace context per load and commit), counters and the duration histogram per request; nothing scrapes (the gauges' scan runs only on a scrape)",
    sessionCookies: true,
    base: "fastify-sessionkit",
  },
  "fastify-sessionkit-traced": {
    framework: "fastify",
    layer: "diagnostic",
    label: "(k) Fastify + sessionkit, tracing channels with an empty subscriber (diagnostic)",
    setup:
      "(b) with a subscriber that does nothing on sessionkit:load and sessionkit:commit: what the channels cost before any metrics code (splits (j)'s cost)",
    sessionCookies: true,
    base: "fastify-sessionkit",
  },
  "express-connect-redis": {
    framework: "express",
    layer: "connect-redis",
    label: "(c) Express + express-session + connect-redis",
    setup:
      "express-session resave:false, saveUninitialized:false, cookie.maxAge 1d; connect-redis 9 on node-redis",
    sessionCookies: true,
  },
  "fastify-connect-redis": {
    framework: "fastify",
    layer: "connect-redis",
    label: "(d) Fastify + @fastify/session + connect-redis",
    setup:
      "@fastify/session saveUninitialized:false, cookie.maxAge 1d, rolling default (true); connect-redis 9 on node-redis",
    sessionCookies: true,
  },
  "express-ceiling": {
    framework: "express",
    layer: "ceiling",
    label: "(e) Express, one raw GET (ceiling)",
    setup:
      "no session layer: one ioredis GET of a 1 KB value per request, on the transport sessionkit gives its own clients (a loop turn's commands in one write)",
    sessionCookies: false,
  },
  "fastify-ceiling": {
    framework: "fastify",
    layer: "ceiling",
    label: "(f) Fastify, one raw GET (ceiling)",
    setup:
      "no session layer: one ioredis GET of a 1 KB value per request, on the transport sessionkit gives its own clients (a loop turn's commands in one write)",
    sessionCookies: false,
  },
  "express-ceiling-dict": {
    framework: "express",
    layer: "diagnostic",
    label: "(g) Express ceiling, req/res in dictionary mode (diagnostic)",
    setup:
      "(e) plus a first middleware that only switches req and res to dictionary properties, as sessionkit/express does: shows how much of (a) is that Express-wide effect",
    sessionCookies: false,
  },
  "fastify-ceiling-plain": {
    framework: "fastify",
    layer: "diagnostic",
    label: "(h) Fastify, one plain ioredis GET (diagnostic)",
    setup:
      "(f) on ioredis as it comes: every command its own write, where (f) batches a loop turn's commands into one write as sessionkit's own clients do",
    sessionCookies: false,
  },
  "fastify-bare-read": {
    framework: "fastify",
    layer: "diagnostic",
    label: "(i) Fastify, bare session read: cookie, SHA-256, one GET (diagnostic)",
    setup:
      "the least a session read can do, none of the rules: an onRequest hook takes the ID from the session cookie, hashes it into sessionkit's key and GETs the record (transport of (f)); no signature check, no parse, no deadlines, no timeout, no change check",
    sessionCookies: true,
  },
};

export function isVariant(name: string): name is Variant {
  return (VARIANTS as readonly string[]).includes(name);
}

export function ceilingOf(framework: Framework): Variant {
  return framework === "express" ? "express-ceiling" : "fastify-ceiling";
}
