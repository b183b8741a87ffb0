import type { Server } from "node:http";
import { listen } from "../support/browser.js";

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  setCookies: string[];
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** How a test reaches an app: a real socket, or the framework's own request injection. */
export type Transport = (request: HttpRequest) => Promise<HttpResponse>;

export function toResponse(status: number, headers: Headers, text: string): HttpResponse {
  return { status, headers, setCookies: headers.getSetCookie(), text, json: <T>() => JSON.parse(text) as T };
}

/** Serves a node:http server on a free loopback port; requests go over a real socket with fetch. */
export async function socketTransport(
  server: Server,
): Promise<{ transport: Transport; close(): Promise<void> }> {
  const http = await listen(server);
  const transport: Transport = async ({ method, path, headers }) => {
    const response = await fetch(new URL(path, http.baseUrl), { method, headers, redirect: "manual" });
    return toResponse(response.status, response.headers, await response.text());
  };
  return { transport, close: () => http.close() };
}

/** A cookie jar over any transport; follows no redirect by itself. */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(readonly transport: Transport) {}

  async request(method: string, path: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const jar = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await this.transport({
      method,
      path,
      headers: jar && headers.cookie === undefined ? { ...headers, cookie: jar } : headers,
    });
    for (const line of response.setCookies) this.#remember(line);
    return response;
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request("GET", path, headers);
  }

  post(path: string, headers?: Record<string, string>) {
    return this.request("POST", path, headers);
  }

  #remember(setCookie: string): void {
    const [pair = "", ...attributes] = setCookie.split(";");
    const eq = pair.indexOf("=");
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === "" || attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
