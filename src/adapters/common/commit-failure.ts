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
  // The manager reported the failure already (SESSION_COMMIT_FAILED): this is only the client's answer.
  const status = error instanceof SessionError ? error.status : 500;
  return {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "1" },
    body: BODIES[status] ?? "Session commit failed\n",
  };
}

const BODIES: Record<number, string> = {
  503: "Service Unavailable: the session store is not answering\n",
  413: "Payload Too Large: the change would take the session past its limits\n",
};
