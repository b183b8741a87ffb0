import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { SessionWithData } from "../../core/session.js";
import type { SessionManager } from "../../core/session-manager.js";
import { commitBeforeResponse } from "./commit-before-response.js";

/** Loads the request's session and arranges its commit before the response leaves. */
export async function attachSession(
  manager: SessionManager,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean = (req.socket as TLSSocket).encrypted === true,
): Promise<SessionWithData> {
  const session = await manager.load({
    cookieHeader: req.headers.cookie,
    secure,
    userAgent: req.headers["user-agent"],
    // Express sets req.ip (honouring "trust proxy"); plain node:http has only the socket's peer.
    ip: (req as { ip?: string }).ip ?? req.socket.remoteAddress,
  });
  commitBeforeResponse(res, () => manager.commit(session));
  return session;
}
