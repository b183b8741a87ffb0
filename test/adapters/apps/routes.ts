import type { SessionWithData } from "../../../src/session/session.js";

/** What a contract route answers; each framework's app turns it into its own response. */
export interface RouteResult {
  status: number;
  location?: string;
  body?: unknown;
}

export const MAX_DELAY_MS = 2000;

/**
 * The contract app, written once and mounted by every framework's app:
 *   GET  /session            { data, isNew }
 *   POST /login?user=U       regenerate, set user, (wait delay=MS), (save() if save=1), 303 -> /session
 *   POST /principal?user=U   setPrincipal(U), set user, 303 -> /session
 *   POST /logout             destroy, 303 -> /session
 *   POST /set?delay=MS&k=v   wait (between load and change), set each k, { data }
 *   POST /fail?k=v           set each k, then throw: the framework answers with its error response
 * Query strings rather than bodies, so no framework needs a body parser.
 */
export async function contractRoute(
  method: string,
  url: string,
  session: SessionWithData,
): Promise<RouteResult> {
  const { pathname, searchParams } = new URL(url, "http://contract.test");
  const data = session as unknown as Record<string, unknown>;
  const pause = async () => {
    const delayMs = Math.min(Number(searchParams.get("delay") ?? 0), MAX_DELAY_MS);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  };
  const assignQuery = () => {
    for (const [name, value] of searchParams) if (name !== "delay") data[name] = value;
  };
  switch (`${method} ${pathname}`) {
    case "GET /session":
      return { status: 200, body: { data: { ...session }, isNew: session.meta.isNew } };
    case "POST /login":
      await session.regenerate();
      data.user = searchParams.get("user") ?? "someone";
      await pause();
      if (searchParams.get("save") === "1") await session.save();
      return { status: 303, location: "/session" };
    case "POST /principal":
      await session.setPrincipal(searchParams.get("user") ?? "someone");
      data.user = searchParams.get("user") ?? "someone";
      return { status: 303, location: "/session" };
    case "POST /logout":
      await session.destroy();
      return { status: 303, location: "/session" };
    case "POST /set":
      await pause();
      assignQuery();
      return { status: 200, body: { data: { ...session } } };
    case "POST /fail":
      assignQuery();
      throw new Error("handler failed after changing the session");
    default:
      return { status: 404, body: { error: "not found" } };
  }
}

/** The status a framework-independent error handler answers with: the error's own (503 from sessionkit). */
export function statusOf(error: unknown): number {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : 500;
}
