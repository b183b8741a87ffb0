import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The page loads only its own script and stylesheet (no inline code, nothing from another origin), talks
 * only to its own API, and cannot be framed or submit forms elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-frame-options", "DENY");
  // Session data and principals: never kept by a browser or a proxy cache.
  res.setHeader("cache-control", "no-store");
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = redactSecrets(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, type: string, text: string): void {
  res.statusCode = status;
  res.setHeader("content-type", `${type}; charset=utf-8`);
  res.setHeader("content-length", Buffer.byteLength(text));
  res.end(text);
}

/**
 * A Redis URL's password could reach a message (an error naming the endpoint it failed on): every
 * `scheme://user:password@` is masked before anything leaves the handler.
 */
export function redactSecrets(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^\s/@"]*)@/gi, "$1***@");
}

const MAX_BODY_BYTES = 16 * 1024;

/**
 * The JSON body of a POST. A framework that parsed it already (express.json()) left it on req.body; the
 * content type is checked either way: a cross-site HTML form cannot send application/json.
 */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    ?.trim()
    .toLowerCase();
  if (type !== "application/json") return null;
  const parsed = (req as { body?: unknown }).body;
  if (parsed !== undefined && typeof parsed === "object" && parsed !== null && !Buffer.isBuffer(parsed)) {
    return parsed as Record<string, unknown>;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Whether a state-changing request comes from the dashboard's own page: a browser's Sec-Fetch-Site and
 * Origin must say same origin (when sent), and the CSRF token the page was given must be in the header.
 */
export function sameOriginWithToken(req: IncomingMessage, token: string): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    const host = req.headers.host;
    if (host === undefined || (origin !== `http://${host}` && origin !== `https://${host}`)) return false;
  }
  const sent = req.headers["x-csrf-token"];
  if (typeof sent !== "string" || sent.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(sent), Buffer.from(token));
}
