import type { ServerResponse } from "node:http";
import type { SetCookie } from "../../session/migration.js";
import { commitFailureResponse } from "../common/commit-failure.js";
import { useDictionaryProperties } from "./dictionary-mode.js";

type ResponseMethod = "writeHead" | "write" | "end" | "flushHeaders";
type Method = (this: ServerResponse, ...args: unknown[]) => unknown;

/** The state of one held response, reached from the shared interceptors through `this[HOLD]`. */
interface Hold {
  /** null: known at once that nothing is to be written (a read that changed nothing). */
  commit: () => Promise<SetCookie | undefined> | null;
  /** The calls made while held, replayed in order once the commit has landed. */
  queued: [ResponseMethod, unknown[]][];
  committing: boolean;
  /** What each intercepted name was before: an own property to put back, or undefined (inherited). */
  writeHead: Method | undefined;
  write: Method | undefined;
  end: Method | undefined;
  flushHeaders: Method | undefined;
}

type HeldResponse = ServerResponse & { [HOLD]?: Hold };

const HOLD = Symbol("sessionkit.heldResponse");

/**
 * Holds the response until the session is committed (DESIGN rule 5). The first writeHead/write/end
 * starts the commit; that call and every later one are queued and replayed, in order, once the write
 * has landed and the Set-Cookie header is in place. So a browser that follows a redirect after login
 * always finds the session written (express-session saves while the response is already leaving:
 * expressjs/session#360). If the commit fails, the queued response is dropped and a 503 is sent instead:
 * the client must not believe a change was kept when it was not.
 *
 * Hot path: the interceptors are shared functions, not closures per request; the response is switched
 * to dictionary properties before they are added, and the commit deletes them, so its own (inherited)
 * methods apply again: the cheapest of the shapes measured (bench/README.md).
 */
export function commitBeforeResponse(
  res: ServerResponse,
  commit: () => Promise<SetCookie | undefined> | null,
): void {
  const held = res as HeldResponse;
  const methods = res as unknown as Record<ResponseMethod, Method>;
  const hold: Hold = {
    commit,
    queued: [],
    committing: false,
    writeHead: ownMethod(methods, "writeHead"),
    write: ownMethod(methods, "write"),
    end: ownMethod(methods, "end"),
    flushHeaders: ownMethod(methods, "flushHeaders"),
  };
  // Dictionary properties first: adding our five properties (and deleting them on release) is then a
  // few hash-table operations instead of new hidden classes (see dictionary-mode.ts).
  useDictionaryProperties(res);
  held[HOLD] = hold;
  methods.writeHead = heldWriteHead;
  methods.write = heldWrite;
  methods.end = heldEnd;
  methods.flushHeaders = heldFlushHeaders;
}

function ownMethod(methods: Record<ResponseMethod, Method>, name: ResponseMethod): Method | undefined {
  return Object.hasOwn(methods, name) ? methods[name] : undefined;
}

function heldWriteHead(this: HeldResponse, ...args: unknown[]): unknown {
  return queue(this, "writeHead", args);
}

function heldWrite(this: HeldResponse, ...args: unknown[]): unknown {
  queue(this, "write", args);
  // "Not congested": the bytes are held in memory only for the commit's duration.
  return true;
}

function heldEnd(this: HeldResponse, ...args: unknown[]): unknown {
  return queue(this, "end", args);
}

function heldFlushHeaders(this: HeldResponse, ...args: unknown[]): unknown {
  return queue(this, "flushHeaders", args);
}

function queue(res: HeldResponse, name: ResponseMethod, args: unknown[]): HeldResponse {
  const hold = res[HOLD];
  // Called on a response that is no longer held (a method reference kept by the app): pass it through.
  if (hold === undefined) {
    (res[name] as unknown as Method).apply(res, args);
    return res;
  }
  hold.queued.push([name, args]);
  if (hold.committing) return res;
  hold.committing = true;
  const committing = hold.commit();
  // A read that changed nothing, ended in one call (res.end, as res.send and res.json do): the response
  // goes on in this tick. After a writeHead or write it stays held until the next microtask, as for a
  // commit: a handler may still set headers then, whether or not the session changed.
  if (committing === null && name === "end") {
    replay(res, hold, undefined);
    return res;
  }
  (committing ?? NOTHING_TO_COMMIT).then(
    (setCookie) => replayCaught(res, hold, setCookie),
    (error: unknown) => {
      release(res, hold);
      sendCommitFailure(res, error);
    },
  );
  return res;
}

const NOTHING_TO_COMMIT: Promise<undefined> = Promise.resolve(undefined);

/**
 * replay() after a commit, where a call of the handler's that throws (writeHead(42)) would otherwise be
 * an unhandled rejection and end the process: the response is failed instead.
 */
function replayCaught(res: HeldResponse, hold: Hold, setCookie: SetCookie | undefined): void {
  try {
    replay(res, hold, setCookie);
  } catch (error) {
    replaceResponse(res, error, {
      status: 500,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: "Internal Server Error\n",
    });
  }
}

/** Releases the response and makes the calls it held, with the commit's Set-Cookie header first. */
function replay(res: HeldResponse, hold: Hold, setCookie: SetCookie | undefined): void {
  release(res, hold);
  if (setCookie !== undefined && !res.headersSent) appendSetCookie(res, setCookie);
  for (const [method, queuedArgs] of hold.queued) (res[method] as unknown as Method).apply(res, queuedArgs);
}

/** Gives the response its methods back: deletes what was added, puts back what was its own. */
function release(res: HeldResponse, hold: Hold): void {
  const methods = res as unknown as Record<ResponseMethod, Method | undefined>;
  restore(methods, "flushHeaders", hold.flushHeaders);
  restore(methods, "end", hold.end);
  restore(methods, "write", hold.write);
  restore(methods, "writeHead", hold.writeHead);
  delete res[HOLD];
}

function restore(
  methods: Record<ResponseMethod, Method | undefined>,
  name: ResponseMethod,
  own: Method | undefined,
): void {
  if (own === undefined) delete methods[name];
  else methods[name] = own;
}

export function appendSetCookie(res: ServerResponse, setCookie: SetCookie): void {
  const existing = res.getHeader("Set-Cookie");
  if (existing === undefined) res.setHeader("Set-Cookie", setCookie);
  else
    res.setHeader(
      "Set-Cookie",
      [...(Array.isArray(existing) ? existing : [String(existing)]), setCookie].flat(),
    );
}

function sendCommitFailure(res: ServerResponse, error: unknown): void {
  replaceResponse(res, error, commitFailureResponse(error));
}

/**
 * Sends `replacement` instead of whatever the handler had set up; once headers are out, only closing the
 * connection is left.
 */
function replaceResponse(
  res: ServerResponse,
  error: unknown,
  replacement: { status: number; headers: Record<string, string>; body: string },
): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  // Drop the handler's headers too: a Location or Set-Cookie from a failed login must not leave.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(replacement.status, replacement.headers);
  res.end(replacement.body);
}
