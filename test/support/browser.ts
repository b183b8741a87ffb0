import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface BrowserResponse {
  status: number;
  headers: Headers;
  setCookies: string[];
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** A cookie jar over fetch: keeps what Set-Cookie says, follows no redirect by itself. */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  async request(
    method: string,
    path: string,
    options: { json?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<BrowserResponse> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    }
    const cookieHeader = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    if (cookieHeader && !headers.cookie) headers.cookie = cookieHeader;
    const response = await fetch(new URL(path, this.baseUrl), { method, headers, body, redirect: "manual" });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) this.#remember(line);
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      setCookies,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  #remember(setCookie: string): void {
    const [pair = "", ...attributes] = setCookie.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

export async function listen(server: Server): Promise<{ baseUrl: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A namespace unique to one test file and run, so files can share a Redis server. */
export function testNamespace(label: string): string {
  return `t-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
export const OLD_TEST_SECRET = "old-test-secret-0123456789-abcdefghijklmnopqrstu";
