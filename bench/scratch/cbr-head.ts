import type { ServerResponse } from "node:http";
import { commitFailureResponse } from "../../src/adapters/common/commit-failure.js";

type ResponseMethod = "writeHead" | "write" | "end" | "flushHeaders";
const INTERCEPTED: readonly ResponseMethod[] = ["writeHead", "write", "end", "flushHeaders"];

/**
 * Holds the response until the session is committed (DESIGN rule 5). The first writeHead/write/end
 * starts the commit; that call and every later one are queued and replayed, in order, once the write
 * has landed and the Set-Cookie header is in place. So a browser that follows a redirect after login
 * always finds the session written (express-session saves while the response is already leaving:
 * expressjs/session#360). If the commit fails, the queued response is dropped and a 503 is sent instead:
 * the client must not believe a change was kept when it was not.
 */
export function commitBeforeResponse(res: ServerResponse, commit: () => Promise<string | undefined>): void {
  const originals = new Map<ResponseMethod, (...args: unknown[]) => unknown>();
  for (const name of INTERCEPTED) originals.set(name, res[name] as (...args: unknown[]) => unknown);
  const queued: [ResponseMethod, unknown[]][] = [];
  let committing = false;

  const restore = (): void => {
    for (const [name, original] of originals) (res as unknown as Record<string, unknown>)[name] = original;
  };
  const replay = (): void => {
    for (const [name, args] of queued) originals.get(name)?.apply(res, args);
  };
  const start = (): void => {
    committing = true;
    commit().then(
      (setCookie) => {
        restore();
        if (setCookie !== undefined && !res.headersSent) appendSetCookie(res, setCookie);
        replay();
      },
      (error: unknown) => {
        restore();
        sendCommitFailure(res, error);
      },
    );
  };

  for (const name of INTERCEPTED) {
    (res as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      queued.push([name, args]);
      if (!committing) start();
      // write() reports "not congested": the bytes are held in memory only for the commit's duration.
      return name === "write" ? true : res;
    };
  }
}

export function appendSetCookie(res: ServerResponse, setCookie: string): void {
  const existing = res.getHeader("Set-Cookie");
  if (existing === undefined) res.setHeader("Set-Cookie", setCookie);
  else res.setHeader("Set-Cookie", [...(Array.isArray(existing) ? existing : [String(existing)]), setCookie]);
}

function sendCommitFailure(res: ServerResponse, error: unknown): void {
  const failure = commitFailureResponse(error);
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  // Drop the handler's headers too: a Location or Set-Cookie from a failed login must not leave.
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.writeHead(failure.status, failure.headers);
  res.end(failure.body);
}
