import { publishDiagnostic } from "../../common/diagnostics.js";
import { SessionError } from "../../common/errors.js";

/** The response that replaces the handler's when the end-of-request commit fails. */
export interface CommitFailureResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What every adapter that cannot hold a raw ServerResponse (Fastify, Hono, Koa) sends when the commit
 * fails: the same answer as the node:http adapter's (commit-before-response.ts), so a client sees one
 * behaviour whatever the framework. The handler's response is dropped whole, headers included: a Location
 * or a cookie of a login that was not stored must not leave.
 */
export function commitFailureResponse(error: unknown): CommitFailureResponse {
  reportCommitFailure(error);
  const status = error instanceof SessionError ? error.status : 500;
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "1" },
    body:
      status === 503
        ? "Service Unavailable: the session store is not answering\n"
        : "Session commit failed\n",
  };
}

/** Publishes a failed commit on the diagnostics channel (the request's own answer is the caller's). */
export function reportCommitFailure(error: unknown): void {
  const code = error instanceof SessionError ? error.code : "SESSION_COMMIT_FAILED";
  publishDiagnostic({
    code: "SESSION_COMMIT_FAILED",
    message: `${code}: ${error instanceof Error ? error.message : String(error)}`,
  });
}
