import type { IncomingMessage, ServerResponse } from "node:http";
import type { DecodedSession } from "../admin/decoded-session.js";
import type { SessionAdmin } from "../admin/session-admin.js";
import { type Duration, toMilliseconds } from "../common/duration.js";
import { handleOf } from "../store/key-id.js";
import { readJson, redactSecrets, sendJson } from "./http-io.js";

/** A row of a search: a session named by its handle, never by its ID. */
export interface SessionRow {
  handle: string;
  principal: string | null;
  createdAt: string | null;
  lastAccessAt: string | null;
  userAgent: string | null;
  ip: string | null;
}

const MAX_QUERY_LENGTH = 512;
/** How often the event stream is polled (XRANGE), and a comment line keeps proxies from closing it. */
const EVENT_POLL_MS = 500;
const HEARTBEAT_MS = 15_000;
/** How long an overview's figures are served again (and its scan shared) before a new scan. */
const OVERVIEW_REUSE_MS = 5000;

/** The dashboard's JSON API, over the admin API only (DESIGN rule 20). */
export class DashboardApi {
  readonly #admin: SessionAdmin;
  readonly #idleTimeoutMs: number | undefined;

  constructor(admin: SessionAdmin, idleTimeout: Duration | undefined) {
    this.#admin = admin;
    this.#idleTimeoutMs = idleTimeout === undefined ? undefined : toMilliseconds(idleTimeout, "idleTimeout");
  }

  /**
   * The overview scans the whole namespace (paced): operators reloading the page, or several of them,
   * share the scan under way and its result for a few seconds instead of starting one each.
   */
  #overview: { at: number; result: Promise<unknown> } | undefined;

  async overview(res: ServerResponse): Promise<void> {
    const now = performance.now();
    if (this.#overview === undefined || now - this.#overview.at > OVERVIEW_REUSE_MS) {
      const result = this.#scanOverview();
      this.#overview = { at: now, result };
      // A failed scan is not kept: the next reload tries again.
      result.catch(() => {
        if (this.#overview?.result === result) this.#overview = undefined;
      });
    }
    sendJson(res, 200, await this.#overview.result);
  }

  async #scanOverview(): Promise<unknown> {
    const [stats, doctor] = await Promise.all([
      this.#admin.stats({ memorySample: 200 }),
      this.#admin.doctor({ pings: 3, ttlSample: 200 }).catch((error: Error) => ({
        checks: [{ name: "doctor", status: "fail", message: error.message }],
      })),
    ]);
    return {
      namespace: stats.namespace,
      sessions: stats.sessions,
      principals: stats.principals,
      bytes: stats.bytes,
      bytesPerSession: stats.bytesPerSession,
      estimated: stats.estimated,
      histograms: stats.histograms,
      events: { length: stats.events.length, groups: stats.events.groups },
      doctor: doctor.checks,
    };
  }

  /** POST: a cookie value is a credential, so it travels in a body, never in a URL or an access log. */
  async search(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const by = body?.by;
    const query = typeof body?.query === "string" ? body.query.trim() : "";
    if (query === "" || query.length > MAX_QUERY_LENGTH || (by !== "principal" && by !== "session")) {
      sendJson(res, 400, { error: 'body must be { "by": "principal" | "session", "query": "..." }' });
      return;
    }
    if (by === "principal") {
      const sessions = await this.#admin.listSessions(
        query,
        this.#idleTimeoutMs === undefined ? {} : { idleTimeout: this.#idleTimeoutMs },
      );
      sendJson(res, 200, {
        sessions: sessions.map((s) => ({
          handle: s.handle,
          principal: query,
          createdAt: new Date(s.createdAt).toISOString(),
          lastAccessAt: new Date(s.lastAccessAt).toISOString(),
          userAgent: s.userAgent ?? null,
          ip: s.ip ?? null,
        })),
      });
      return;
    }
    const keyId = await this.#resolve(query, undefined, res);
    if (keyId === undefined) return;
    const session = keyId === null ? null : await this.#admin.inspect(keyId, { redact: true });
    sendJson(res, 200, { sessions: session === null ? [] : [rowOf(session)] });
  }

  /** A session's detail: attribute values are redacted unless `reveal=1` asks for them. */
  async session(url: URL, res: ServerResponse): Promise<void> {
    const handle = url.searchParams.get("handle") ?? "";
    const principal = url.searchParams.get("principal") || undefined;
    const keyId = await this.#resolve(handle, principal, res);
    if (keyId === undefined) return;
    const session =
      keyId === null
        ? null
        : await this.#admin.inspect(keyId, { redact: url.searchParams.get("reveal") !== "1" });
    if (session === null) {
      sendJson(res, 404, { error: "no such session (ended, expired or revoked)" });
      return;
    }
    sendJson(res, 200, { session });
  }

  async revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const principal =
      typeof body?.principal === "string" && body.principal !== "" ? body.principal : undefined;
    if (body?.all === true && principal !== undefined) {
      sendJson(res, 200, { revoked: await this.#admin.revokePrincipal(principal) });
      return;
    }
    if (typeof body?.handle !== "string" || body.handle === "") {
      sendJson(res, 400, {
        error: 'body must be { "handle": "...", "principal"?: "..." } or { "principal": "...", "all": true }',
      });
      return;
    }
    const keyId = await this.#resolve(body.handle, principal, res);
    if (keyId === undefined) return;
    sendJson(res, 200, { revoked: keyId === null ? 0 : await this.#admin.revokeSession(keyId) });
  }

  /** Keys without a TTL in the whole Redis, grouped by pattern (a dry run: the CLI fixes them). */
  async ttlAudit(res: ServerResponse): Promise<void> {
    const report = await this.#admin.auditTtls({ maxGroups: 100 });
    sendJson(res, 200, report);
  }

  /**
   * The namespace's session events as Server-Sent Events, from now on, until the browser goes away. Each
   * names the session by handle; the event's keyId and data are not sent.
   */
  async events(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    const stop = () => abort.abort();
    req.on("close", stop);
    res.on("close", stop);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), HEARTBEAT_MS);
    try {
      const events = this.#admin.events({
        since: Date.now(),
        follow: true,
        signal: abort.signal,
        pollIntervalMs: EVENT_POLL_MS,
      });
      for await (const event of events) {
        const shown = {
          type: event.type,
          reason: event.reason ?? null,
          principal: event.principal ?? null,
          handle: handleOf(event.keyId),
          at: new Date(event.at).toISOString(),
        };
        res.write(`data: ${redactSecrets(JSON.stringify(shown))}\n\n`);
      }
    } catch (error) {
      if (!abort.signal.aborted) res.write(`event: failure\ndata: ${JSON.stringify(String(error))}\n\n`);
    } finally {
      clearInterval(heartbeat);
      req.off("close", stop);
      res.end();
    }
  }

  /**
   * The keyId of a session named by a cookie value, a handle or a key: null when none is stored,
   * undefined when the input names no session (a 400 was sent).
   */
  async #resolve(
    target: string,
    principal: string | undefined,
    res: ServerResponse,
  ): Promise<string | null | undefined> {
    if (target === "" || target.length > MAX_QUERY_LENGTH) {
      sendJson(res, 400, { error: "give a cookie value, a handle or a session key" });
      return undefined;
    }
    try {
      return await this.#admin.resolve(target, principal === undefined ? {} : { principal });
    } catch (error) {
      if ((error as { code?: string }).code !== "SESSION_CONFIG_INVALID") throw error;
      sendJson(res, 400, { error: (error as Error).message });
      return undefined;
    }
  }
}

function rowOf(session: DecodedSession): SessionRow {
  return {
    handle: session.handle,
    principal: session.meta.principal ?? null,
    createdAt: session.meta.createdAt,
    lastAccessAt: session.meta.lastAccessAt,
    userAgent: session.meta.userAgent ?? null,
    ip: session.meta.ip ?? null,
  };
}
