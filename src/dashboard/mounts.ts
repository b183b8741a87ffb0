import type { IncomingMessage, ServerResponse } from "node:http";
import type { Dashboard } from "./create-dashboard.js";

/*
 * Thin mounts: each hands the framework's underlying node:http request and response to the one handler.
 * Their parameter types are structural so that this entry point imports no framework (all optional peers).
 */

type Next = (error?: unknown) => void;

/** node:http: `createServer((req, res) => nodeDashboard(dashboard)(req, res, () => app(req, res)))`. */
export function nodeDashboard(dashboard: Dashboard) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    dashboard.handle(req, res).then((handled) => handled || next(), next);
  };
}

/** Express: `app.use(expressDashboard(dashboard))`, at the app's root (the handler sees basePath). */
export function expressDashboard(dashboard: Dashboard) {
  return (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: Next): void => {
    // Inside a router mounted on a path, req.url lost that prefix; originalUrl has it.
    const url = req.url;
    if (req.originalUrl !== undefined) req.url = req.originalUrl;
    dashboard.handle(req, res).then((handled) => {
      if (handled) return;
      req.url = url;
      next();
    }, next);
  };
}

interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void,
  ): void;
  route(options: {
    method: string[];
    url: string;
    handler: (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
    ) => Promise<void>;
  }): unknown;
}

/**
 * Fastify: `await app.register(fastifyDashboard(dashboard))`. Inside the plugin (encapsulated) bodies are
 * left unread for the handler, and the reply is hijacked: the handler writes the node response itself.
 */
export function fastifyDashboard(dashboard: Dashboard) {
  return async (fastify: FastifyLike): Promise<void> => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser("*", (_request, _payload, done) => done(null));
    const handler = async (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
    ) => {
      reply.hijack();
      if (!(await dashboard.handle(request.raw, reply.raw))) {
        reply.raw.statusCode = 404;
        reply.raw.end();
      }
    };
    for (const url of [dashboard.basePath, `${dashboard.basePath}/*`]) {
      fastify.route({ method: ["GET", "HEAD", "POST"], url, handler });
    }
  };
}

/**
 * @hono/node-server replaces the global Response with a lighter class when it starts serving, and writes
 * that class's responses without looking for its "already sent" header; the platform's own Response,
 * taken when this module loads (imports run before the app starts serving), is written as node-server's
 * own RESPONSE_ALREADY_SENT is: not at all.
 */
const PlatformResponse = globalThis.Response;

interface HonoContextLike {
  req: { url: string };
  /** @hono/node-server's bindings: { incoming, outgoing } (unknown to Hono's types without them). */
  env: unknown;
}

/**
 * Hono on @hono/node-server: `app.use(honoDashboard(dashboard))`. The response is written to the node
 * response underneath; the Response returned carries node-server's "already sent" header so that it
 * writes nothing more. Hono on another runtime has no node response: refused with a clear error.
 */
export function honoDashboard(dashboard: Dashboard) {
  return async (c: HonoContextLike, next: () => Promise<void>): Promise<Response | undefined> => {
    const { pathname, search } = new URL(c.req.url);
    if (!dashboard.matches(pathname)) {
      await next();
      return undefined;
    }
    const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
    const incoming = env?.incoming;
    const outgoing = env?.outgoing;
    if (incoming === undefined || outgoing === undefined) {
      throw new Error("honoDashboard needs @hono/node-server (c.env.incoming and c.env.outgoing)");
    }
    incoming.url = pathname + search;
    await dashboard.handle(incoming, outgoing);
    return new PlatformResponse(null, { headers: { "x-hono-already-sent": "true" } });
  };
}

interface KoaContextLike {
  req: IncomingMessage;
  res: ServerResponse;
  url: string;
  respond?: boolean;
}

/** Koa: `app.use(koaDashboard(dashboard))`, before any body parser. */
export function koaDashboard(dashboard: Dashboard) {
  return async (ctx: KoaContextLike, next: () => Promise<unknown>): Promise<void> => {
    if (!dashboard.matches(ctx.url)) {
      await next();
      return;
    }
    // Koa must not write a response of its own after the handler's.
    ctx.respond = false;
    await dashboard.handle(ctx.req, ctx.res);
  };
}
