import { SessionConfigError } from "../../common/errors.js";

export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

/**
 * What a Redis URL names. Schemes:
 *   redis://[user:pass@]host:port[/db][?replica=host:port]   rediss:// for TLS
 *   redis+sentinel://[user:pass@]host1:port1,host2:port2/masterName[?db=N]
 *   redis+cluster://[user:pass@]host1:port1,host2:port2      (seed nodes; the rest is discovered)
 * (rediss+sentinel and rediss+cluster for TLS: with rediss+sentinel the Sentinels are reached over TLS
 * too, with the same tls option.) Credentials are those of the data nodes.
 */
export type RedisTarget =
  | ({ kind: "standalone"; url: string; node: HostPort; db: number; replica?: HostPort } & Credentials)
  | ({ kind: "sentinel"; sentinels: HostPort[]; masterName: string; db: number } & Credentials)
  | ({ kind: "cluster"; nodes: HostPort[] } & Credentials);

const SCHEME = /^(rediss?)(\+sentinel|\+cluster)?:\/\/(.*)$/i;

export function parseRedisUrl(url: string): RedisTarget {
  const match = SCHEME.exec(url.trim());
  if (!match) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url.trim())?.[1];
    throw new SessionConfigError(
      `redis URL must use redis://, rediss://, redis+sentinel:// or redis+cluster:// (got ${scheme ? `scheme "${scheme}:"` : "no scheme"})`,
    );
  }
  const [, base = "redis", flavour = "", rest = ""] = match;
  const tls = base.toLowerCase() === "rediss";
  const queryAt = rest.indexOf("?");
  // A raw "?" in the user info would start the query inside the password, and the rest would be read
  // as hosts: refuse it without echoing anything of the URL.
  const rawQuery = queryAt === -1 ? "" : rest.slice(queryAt);
  const atInQuery = rawQuery.indexOf("@");
  if (atInQuery !== -1 && (rawQuery.indexOf("=") === -1 || atInQuery < rawQuery.indexOf("="))) {
    throw new SessionConfigError(
      'the user or password in the redis URL has a raw "?": percent-encode it (%3F)',
    );
  }
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : rest.slice(queryAt + 1));
  const at = beforeQuery.lastIndexOf("@");
  const credentials = { ...parseUserInfo(at === -1 ? "" : beforeQuery.slice(0, at)), tls };
  const afterAt = at === -1 ? beforeQuery : beforeQuery.slice(at + 1);
  const slash = afterAt.indexOf("/");
  const hostList = slash === -1 ? afterAt : afterAt.slice(0, slash);
  const path = slash === -1 ? "" : decoded(afterAt.slice(slash + 1), "path");
  const hosts = hostList.split(",").map((part) => parseHostPort(part));

  switch (flavour.toLowerCase()) {
    case "+sentinel": {
      if (path === "")
        throw new SessionConfigError("redis+sentinel:// URL needs the master name as its path: .../mymaster");
      return {
        kind: "sentinel",
        sentinels: hosts,
        masterName: path,
        db: parseDb(query.get("db") ?? "0"),
        ...credentials,
      };
    }
    case "+cluster":
      if (path !== "")
        throw new SessionConfigError(
          "redis+cluster:// URL takes no database or path (a cluster has db 0 only)",
        );
      return { kind: "cluster", nodes: hosts, ...credentials };
    default: {
      if (hosts.length !== 1) {
        throw new SessionConfigError(
          "redis:// URL takes one host; use redis+cluster:// or redis+sentinel:// for several",
        );
      }
      const replica = query.get("replica");
      return {
        kind: "standalone",
        url,
        node: hosts[0] as HostPort,
        db: parseDb(path === "" ? "0" : path),
        ...(replica ? { replica: parseHostPort(replica) } : {}),
        ...credentials,
      };
    }
  }
}

function parseUserInfo(userInfo: string): { username?: string; password?: string } {
  if (userInfo === "") return {};
  const colon = userInfo.indexOf(":");
  if (colon === -1) return { username: decoded(userInfo, "user") };
  const username = decoded(userInfo.slice(0, colon), "user");
  const password = decoded(userInfo.slice(colon + 1), "password");
  return { ...(username === "" ? {} : { username }), password };
}

/** Percent-decoding that fails as a configuration error (a lone "%"), naming the part but not its text. */
function decoded(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new SessionConfigError(
      `the ${part} in the redis URL has a "%" that is not percent-encoding (write %25)`,
    );
  }
}

function parseHostPort(part: string): HostPort {
  // IPv6 literals come in brackets: [::1]:6379
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s]+)(?::(\d{1,5}))?$/.exec(part.trim());
  const port = Number(m?.[2] ?? 6379);
  if (!m || port < 1 || port > 65535) {
    throw new SessionConfigError(`cannot read "${part}" as host:port in the redis URL`);
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

function parseDb(text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new SessionConfigError(`redis database must be a number, got "${text}"`);
  return Number(text);
}

/**
 * A URL fit for a message, a log or a page: the password is replaced. Found the way parseRedisUrl finds
 * it (the user info ends at the last "@" before the query), so a password with "/", "@" or ":" is hidden
 * whole.
 */
export function redact(url: string): string {
  const start = url.indexOf("://");
  if (start === -1) return url;
  const query = url.indexOf("?", start);
  const at = url.lastIndexOf("@", query === -1 ? url.length : query);
  if (at <= start) return url;
  const colon = url.indexOf(":", start + 3);
  if (colon === -1 || colon > at) return url;
  return `${url.slice(0, colon)}:***${url.slice(at)}`;
}

export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
