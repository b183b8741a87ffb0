import { createServer, type ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { commitBeforeResponse } from "../../../../src/adapters/node/commit-before-response.js";

describe("held responses", () => {
  async function serve(handler: (res: ServerResponse) => void, header = "x-none") {
    const server = createServer((_req, res) => handler(res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      return {
        status: response.status,
        cookie: response.headers.get("set-cookie"),
        header: response.headers.get(header),
        body: await response.text(),
      };
    } finally {
      server.close();
    }
  }

  it("replays writes in order after the commit, with the cookie, and gives the methods back", async () => {
    let after: { own: boolean; end: unknown } | undefined;
    const result = await serve((res) => {
      const end = res.end;
      commitBeforeResponse(res, async () => "sid=abc; Path=/");
      res.writeHead(201, { "content-type": "text/plain" });
      res.write("one,");
      res.end("two", () => {
        after = { own: Object.hasOwn(res, "end"), end: res.end };
      });
      expect(res.end).not.toBe(end);
    });
    expect(result).toMatchObject({ status: 201, cookie: "sid=abc; Path=/", body: "one,two" });
    expect(after?.own).toBe(false);
  });

  it("lets a response ended in one call go in the same tick when the commit has nothing to do (null)", async () => {
    let sentSynchronously = false;
    let ownEnd = true;
    const result = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.setHeader("content-type", "text/plain");
      res.end("read only");
      sentSynchronously = res.writableEnded;
      ownEnd = Object.hasOwn(res, "end");
    });
    expect(result).toMatchObject({ status: 200, cookie: null, body: "read only" });
    expect(sentSynchronously).toBe(true);
    expect(ownEnd).toBe(false);
  });

  it("still holds a response begun with writeHead when there is nothing to commit: headers can follow", async () => {
    const result = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.writeHead(200, { "content-type": "text/plain" });
      res.setHeader("x-extra", "1");
      res.end("read only");
    });
    expect(result).toMatchObject({ status: 200, body: "read only" });
    const extra = await serve((res) => {
      commitBeforeResponse(res, () => null);
      res.writeHead(200);
      res.setHeader("x-extra", "1");
      res.end();
    }, "x-extra");
    expect(extra.header).toBe("1");
  });

  it("answers 500, and keeps the process up, when a held call of the handler's throws on replay", async () => {
    const result = await serve((res) => {
      commitBeforeResponse(res, async () => undefined);
      res.writeHead(42);
      res.end("never");
    });
    expect(result.status).toBe(500);
  });

  it("puts back a method the response had as its own, and answers 503 when the commit fails", async () => {
    let ownEndKept = false;
    const result = await serve((res) => {
      const original = res.end.bind(res);
      const ownEnd = ((...args: Parameters<ServerResponse["end"]>) =>
        original(...args)) as ServerResponse["end"];
      res.end = ownEnd;
      commitBeforeResponse(res, async () => {
        throw Object.assign(new Error("down"), { status: 503 });
      });
      res.setHeader("location", "/secret");
      res.end("handler body");
      setImmediate(() => {
        ownEndKept = res.end === ownEnd;
      });
    });
    expect(result.status).toBe(500);
    expect(result.body).toBe("Session commit failed\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(ownEndKept).toBe(true);
  });
});
