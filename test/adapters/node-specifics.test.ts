import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type NodeSessionLoader, session } from "../../src/adapters/node/index.js";
import { SessionError } from "../../src/common/errors.js";
import { createMemoryStore } from "../../src/store/memory-store.js";
import { Browser, listen, TEST_SECRET, testNamespace } from "../support/browser.js";

const { standalone } = inject("redis");

interface Counter {
  views: number;
  user: string;
}

/** A plain node:http app: the ten lines of the README's node example, plus login and streaming. */
function createHandler(loadSession: NodeSessionLoader) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    let s: Awaited<ReturnType<typeof loadSession<Counter>>>;
    try {
      s = await loadSession<Counter>(req, res);
    } catch (error) {
      res.writeHead(error instanceof SessionError ? error.status : 500).end("session store down");
      return;
    }
    if (req.url === "/login") {
      await s.regenerate();
      s.user = "node-user";
      res.writeHead(303, { Location: "/" }).end();
      return;
    }
    if (req.url === "/unstorable") {
      // A value the codec refuses, on a session loaded from Redis (the commit's fast path).
      (s as unknown as Record<string, unknown>).callback = () => 1;
      res.end("stored?");
      return;
    }
    if (req.url === "/stream") {
      s.views = (s.views ?? 0) + 1;
      res.setHeader("Content-Type", "text/plain");
      res.write("part 1, ");
      res.write("part 2, ");
      res.end(`views ${s.views}`);
      return;
    }
    s.views = (s.views ?? 0) + 1;
    res.end(JSON.stringify({ views: s.views, user: s.user ?? null }));
  };
}

for (const [label, makeLoader] of [
  ["Redis", () => session({ redis: standalone.url, secret: TEST_SECRET, namespace: testNamespace("node") })],
  ["MemoryStore", () => session({ store: createMemoryStore(), secret: TEST_SECRET })],
] as const) {
  describe(`node:http adapter on ${label}`, () => {
    let loader: NodeSessionLoader;
    let http: Awaited<ReturnType<typeof listen>>;
    beforeAll(async () => {
      loader = makeLoader();
      http = await listen(createServer(createHandler(loader)));
    });
    afterAll(async () => {
      await http?.close();
      await loader?.close();
    });

    it("counts views across requests", async () => {
      const browser = new Browser(http.baseUrl);
      for (let i = 1; i <= 3; i++) expect((await browser.get("/")).json()).toEqual({ views: i, user: null });
    });

    it("commits before a streamed response's first byte and keeps the writes in order", async () => {
      const browser = new Browser(http.baseUrl);
      expect((await browser.get("/stream")).text).toBe("part 1, part 2, views 1");
      expect((await browser.get("/stream")).text).toBe("part 1, part 2, views 2");
    });

    it("answers 500 when the handler stored a value the codec refuses, instead of holding the response", async () => {
      const browser = new Browser(http.baseUrl);
      await browser.get("/");
      const response = await browser.get("/unstorable");
      expect(response.status).toBe(500);
      expect(response.text).toBe("Session commit failed\n");
      expect((await browser.get("/")).json()).toEqual({ views: 2, user: null });
    });

    it("sees a login on the request right after the 303 (writeHead + end)", async () => {
      for (let trial = 0; trial < 10; trial++) {
        const browser = new Browser(http.baseUrl);
        await browser.get("/");
        const login = await browser.get("/login");
        expect(login.status).toBe(303);
        expect((await browser.get("/")).json()).toEqual({ views: 2, user: "node-user" });
      }
    });
  });
}

describe("node:http adapter with Redis unreachable", () => {
  it("rejects the load with a 503 SessionError the app can answer", async () => {
    const loader = session({ redis: "redis://127.0.0.1:1", secret: TEST_SECRET, commandTimeout: 200 });
    const http = await listen(createServer(createHandler(loader)));
    try {
      // A cookie that verifies makes the adapter go to Redis.
      const memory = session({ store: createMemoryStore(), secret: TEST_SECRET });
      const seed = await listen(createServer(createHandler(memory)));
      const browser = new Browser(seed.baseUrl);
      await browser.get("/");
      await seed.close();
      const moved = new Browser(http.baseUrl);
      for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
      const response = await moved.get("/");
      expect(response.status).toBe(503);
      expect(response.text).toBe("session store down");
    } finally {
      await http.close();
      await loader.close();
    }
  });
});
