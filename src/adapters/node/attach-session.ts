import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { SessionWithData } from "../../session/session.js";
import type { SessionManager, SessionRequest } from "../../session/session-manager.js";
import { commitBeforeResponse } from "./commit-before-response.js";

/**
 * What the manager needs from a request. The device (User-Agent, address) is read only when a new session
 * records it: Express's req.ip parses X-Forwarded-For against "trust proxy" on every read, a cost most
 * requests need not pay. Prototype getters, not an object literal with getters (which V8 builds slowly).
 */
export class NodeSessionRequest implements SessionRequest {
  readonly cookieHeader: string | undefined;
  readonly #req: IncomingMessage;

  constructor(
    req: IncomingMessage,
    readonly secure: boolean,
  ) {
    this.cookieHeader = req.headers.cookie;
    this.#req = req;
  }

  get userAgent(): string | undefined {
    return this.#req.headers["user-agent"];
  }

  get ip(): string | undefined {
    // Express sets req.ip (honouring "trust proxy"); plain node:http has only the socket's peer.
    return (this.#req as { ip?: string }).ip ?? this.#req.socket.remoteAddress;
  }
}

/** Loads the request's session and arranges its commit before the response leaves. */
export async function attachSession(
  manager: SessionManager,
  req: IncomingMessage,
  res: ServerResponse,
  secure: boolean = (req.socket as TLSSocket).encrypted === true,
): Promise<SessionWithData> {
  const session = await manager.load(new NodeSessionRequest(req, secure));
  commitBeforeResponse(res, () => manager.commitUnlessQuiet(session));
  return session;
}
