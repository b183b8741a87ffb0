import { Readable } from "node:stream";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import fastifyPlugin from "fastify-plugin";
import type { SessionOptions } from "../../create-session-manager.js";
import type { SetCookie } from "../../session/migration.js";
import type { Session, SessionWithData } from "../../session/session.js";
import type { SessionManager, SessionRequest } from "../../session/session-manager.js";
import { commitFailureResponse } from "../common/commit-failure.js";
import { type AdapterHandle, defineAdapter } from "../common/define-adapter.js";

// The root entry's declarations load with this subpath's, so `declare module "sessionkit" { interface
// SessionData {...} }` in a file that imports only this subpath finds the module (TS2664 otherwise).
export type {} from "../../index.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The request's session (sessionkit). Type attributes by augmenting `SessionData` in "sessionkit". */
    session: SessionWithData;
  }
}

/** The session a request loaded and has not committed yet (null: none, or already committed). */
const LOADED = Symbol("sessionkit.loadedSession");
type LoadedRequest = FastifyRequest & { [LOADED]: Session | null };

export interface FastifySessionPlugin extends FastifyPluginAsync, AdapterHandle {}

/**
 * Fastify plugin: `app.register(session({ redis: process.env.REDIS_URL, secret }))`. Loads
 * `request.session` in onRequest (so every later hook sees it) and commits in onSend, before the reply's
 * first byte: a redirect after login is followed by a request that finds the session written.
 *
 * Reads the Cookie header itself and appends Set-Cookie with reply.header, so it works with or without
 * @fastify/cookie. Under the fail-closed policy a Redis failure while loading reaches Fastify's error
 * handler with `status` 503. A reply sent with `reply.hijack()` skips onSend: call
 * `await request.session.save()` before hijacking.
 */
export function session(options: SessionOptions | SessionManager): FastifySessionPlugin {
  return defineAdapter(options, (manager, ownsManager) =>
    fastifyPlugin(
      async (fastify: FastifyInstance) => {
        fastify.decorateRequest("session", null, []);
        // What to commit, kept apart from request.session: a failed load leaves nothing to commit, whatever
        // the handler did with the property. A decorated property (not a WeakMap) keeps every request
        // object one shape and costs the GC nothing.
        fastify.decorateRequest(LOADED, null);
        // Callback-style hooks: no async function and no promise for Fastify to wrap, twice per request.
        fastify.addHook("onRequest", (request, _reply, done) => {
          manager.load(new FastifySessionRequest(request)).then((current) => {
            (request as LoadedRequest)[LOADED] = current;
            request.session = current;
            done();
          }, done);
        });
        fastify.addHook("onSend", (request, reply, payload, done) => {
          const current = (request as LoadedRequest)[LOADED];
          if (current === null) {
            done(null, payload);
            return;
          }
          // onSend runs again for an error reply sent from a later onSend hook: commit once.
          (request as LoadedRequest)[LOADED] = null;
          // `request.session = null` logs the session out.
          const committing =
            request.session == null ? manager.commitEnded(current) : manager.commitUnlessQuiet(current);
          // A read that changed nothing: the reply goes on in this tick.
          if (committing === null) done(null, payload);
          else commitOnSend(committing, reply, payload).then((sent) => done(null, sent), done);
        });
        if (ownsManager) fastify.addHook("onClose", () => manager.close());
      },
      { fastify: "5.x", name: "sessionkit" },
    ),
  );
}

/**
 * What the manager needs from a request; the device (User-Agent, IP) is read only when a new session
 * records it. Prototype getters: an object literal with getters is built slowly by V8.
 */
class FastifySessionRequest implements SessionRequest {
  readonly cookieHeader: string | undefined;
  readonly secure: boolean;
  readonly #request: FastifyRequest;

  constructor(request: FastifyRequest) {
    this.cookieHeader = request.headers.cookie;
    this.secure = request.protocol === "https";
    this.#request = request;
  }

  get userAgent(): string | undefined {
    return this.#request.headers["user-agent"];
  }

  get ip(): string | undefined {
    return this.#request.ip;
  }
}

async function commitOnSend(
  committing: Promise<SetCookie | undefined>,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  let setCookie: SetCookie | undefined;
  try {
    setCookie = await committing;
  } catch (error) {
    discard(payload);
    const failure = commitFailureResponse(error);
    for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
    reply.code(failure.status).headers(failure.headers);
    return failure.body;
  }
  // Fastify appends to an existing set-cookie header instead of replacing it.
  if (setCookie !== undefined) reply.header("set-cookie", setCookie);
  return payload;
}

/** A stream payload that will not be sent must still be closed (an open file, a database cursor). */
function discard(payload: unknown): void {
  if (payload instanceof Readable) payload.destroy();
  else if (payload instanceof ReadableStream) payload.cancel().catch(() => {});
}

export type { SessionOptions };
