import { typedJsonCodec } from "../../src/codecs/typed-json-codec.js";
import { createSessionManager } from "../../src/create-session-manager.js";
import type { SessionManager } from "../../src/session/session-manager.js";
import { createMemoryStore } from "../../src/store/memory-store.js";
import { TEST_SECRET } from "./browser.js";

/** A manager on a MemoryStore whose codec counts what it encodes and decodes. */
export function countingManager(store = createMemoryStore(), name = "counting") {
  const encoded: unknown[] = [];
  const decoded: string[] = [];
  const manager = createSessionManager({
    store,
    secret: TEST_SECRET,
    codec: {
      name,
      decode: (text) => {
        decoded.push(text);
        return typedJsonCodec.decode(text);
      },
      encode: (value) => {
        encoded.push(value);
        return typedJsonCodec.encode(value);
      },
    },
  });
  return { manager, encoded, decoded };
}

/** The `name=value` pair of a Set-Cookie header value: what the browser sends back. */
export const cookieOf = (setCookie: string | string[] | undefined) =>
  ([setCookie].flat()[0] ?? "").split(";")[0] as string;

/** A loaded session seen as its attributes. */
export async function loadAttributes(manager: SessionManager, cookieHeader: string | undefined) {
  return (await manager.load({ cookieHeader, secure: false })) as unknown as Record<string, unknown>;
}
