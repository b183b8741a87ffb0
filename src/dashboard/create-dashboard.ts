import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionAdmin } from "../admin/session-admin.js";
import type { Duration } from "../common/duration.js";
import { SessionConfigError } from "../common/errors.js";
import { DASHBOARD_SCRIPT } from "./assets/dashboard-script.js";
import { DASHBOARD_STYLE } from "./assets/dashboard-style.js";
import { renderPage, renderUnauthorized } from "./assets/page.js";
import { DashboardApi } from "./dashboard-api.js";
import { sameOriginWithToken, securityHeaders, sendJson, sendText } from "./http-io.js";

export interface DashboardOptions {
  /** The admin API the dashboard reads and revokes through: `createSessionAdmin({ store, secret })`. */
  admin: SessionAdmin;
  /**
   * Decides who may see the page and its API: true lets the request in; false answers 401. Required: a
   * dashboard shows principals and session data, and there is no default that lets everyone in.
   */
  authorize: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Where the dashboard is mounted, the path prefix of every URL it answers. Default "/admin". */
  basePath?: string;
  /** The app's idleTimeout, to show when a principal's sessions go idle. */
  idleTimeout?: Duration;
  /** A login page of the app, linked from the 401 page (the dashboard has no login of its own). */
  loginPath?: string;
}

export interface Dashboard {
  readonly basePath: string;
  /** Whether a URL (path and query) is the dashboard's. */
  matches(url: string): boolean;
  /**
   * Answers a request under basePath (node:http req/res, as every framework has underneath); resolves
   * false, without touching res, for any other URL.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

/**
 * The admin dashboard as one framework-free handler: a page (script and stylesheet served from here, no
 * CDN), its JSON API and a Server-Sent Events stream. The framework mounts (mounts.ts) only hand it the
 * node:http request and response.
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  if (typeof options?.authorize !== "function") {
    throw new SessionConfigError(
      "the dashboard needs authorize(req): it shows principals and session data to whoever passes it",
    );
  }
  const basePath = (options.basePath ?? "/admin").replace(/\/+$/, "");
  if (!/^\/[A-Za-z0-9/_.-]*$/.test(basePath))
    throw new SessionConfigError(`basePath ${basePath} is not a path`);
  const api = new DashboardApi(options.admin, options.idleTimeout);
  // Given only to authorized pages; a cross-site page can neither read it nor guess it.
  const csrfToken = randomBytes(32).toString("base64url");
  const pathOf = (url: string) => url.split("?")[0] as string;
  const matches = (url: string) => {
    const path = pathOf(url);
    return path === basePath || path.startsWith(`${basePath}/`);
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    if (method === "POST") {
      if (!sameOriginWithToken(req, csrfToken)) {
        sendJson(res, 403, {
          error: "cross-site request refused (missing or wrong CSRF token, or another origin)",
        });
        return;
      }
      if (path === "/api/search") return api.search(req, res);
      if (path === "/api/revoke") return api.revoke(req, res);
      sendJson(res, 404, { error: "not found" });
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      res.setHeader("allow", "GET, POST");
      sendJson(res, 405, { error: "method not allowed" });
      return;
    }
    switch (path) {
      case "":
      case "/":
        return sendText(res, 200, "text/html", renderPage(basePath, csrfToken));
      case "/assets/dashboard.js":
        return sendText(res, 200, "text/javascript", DASHBOARD_SCRIPT);
      case "/assets/dashboard.css":
        return sendText(res, 200, "text/css", DASHBOARD_STYLE);
      case "/api/overview":
        return api.overview(res);
      case "/api/session":
        return api.session(url, res);
      case "/api/ttl-audit":
        return api.ttlAudit(res);
      case "/api/events":
        return api.events(req, res);
      default:
        sendJson(res, 404, { error: "not found" });
    }
  }

  return {
    basePath,
    matches,
    async handle(req, res) {
      const raw = req.url ?? "/";
      if (!matches(raw)) return false;
      securityHeaders(res);
      if (!(await options.authorize(req))) {
        res.setHeader("www-authenticate", 'Bearer realm="sessionkit dashboard"');
        const wantsHtml = String(req.headers.accept ?? "").includes("text/html");
        if (wantsHtml) sendText(res, 401, "text/html", renderUnauthorized(options.loginPath));
        else sendJson(res, 401, { error: "unauthorized" });
        return true;
      }
      const url = new URL(raw, "http://dashboard.invalid");
      try {
        await route(req, res, pathOf(raw).slice(basePath.length), url);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (res.headersSent) res.end();
        else
          sendJson(res, 503, {
            error: (error as Error).message,
            code: typeof code === "string" ? code : undefined,
          });
      }
      return true;
    },
  };
}
