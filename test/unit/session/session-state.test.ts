import { describe, expect, it } from "vitest";
import {
  isQuietRead,
  loadedSessionState,
  newSessionState,
  type SessionBackend,
  type SessionState,
} from "../../../src/session/session-state.js";

const backend = {} as SessionBackend;
const times = () => ({ createdAt: 1, lastAccessAt: 2, absoluteDeadline: 3 });

function loaded(overrides: { touchDue?: boolean; cookieDue?: boolean } = {}): SessionState {
  return loadedSessionState({
    backend,
    id: "id",
    keyId: "key",
    times: times(),
    principal: "u1",
    storedEncoded: new Map([["user", '"ann"']]),
    touchDue: overrides.touchDue ?? false,
    cookieDue: overrides.cookieDue ?? false,
    secureRequest: true,
  });
}

function fresh(storeFailure?: unknown): SessionState {
  return newSessionState({
    backend,
    id: "id",
    keyId: "key",
    times: times(),
    device: { userAgent: "ua", ip: "127.0.0.1" },
    clearableCookie: true,
    secureRequest: false,
    ...(storeFailure === undefined ? {} : { storeFailure }),
  });
}

describe("isQuietRead", () => {
  it("is true for a loaded session with nothing due", () => {
    expect(isQuietRead(loaded())).toBe(true);
  });

  it("is false for a new, destroyed, touch-due, cookie-due or store-failed session", () => {
    expect(isQuietRead(fresh())).toBe(false);
    expect(isQuietRead(fresh(new Error("down")))).toBe(false);
    expect(isQuietRead({ ...loaded(), isNew: true })).toBe(false);
    expect(isQuietRead({ ...loaded(), destroyed: true })).toBe(false);
    expect(isQuietRead(loaded({ touchDue: true }))).toBe(false);
    expect(isQuietRead(loaded({ cookieDue: true }))).toBe(false);
    expect(isQuietRead({ ...loaded(), storeFailure: new Error("down") })).toBe(false);
  });
});

describe("session states", () => {
  it("newSessionState: new, nothing stored, nothing due, the request's device and cookie", () => {
    const failure = new Error("down");
    const state = fresh(failure);
    expect(state).toEqual({
      backend,
      id: "id",
      keyId: "key",
      isNew: true,
      times: times(),
      principal: undefined,
      cookieKind: undefined,
      lifetimeChanged: false,
      previousKeyId: undefined,
      replaces: undefined,
      device: { userAgent: "ua", ip: "127.0.0.1" },
      storedEncoded: new Map(),
      destroyed: false,
      corrupt: false,
      touchDue: false,
      cookieDue: false,
      clearableCookie: true,
      storeFailure: failure,
      secureRequest: false,
      commitChain: undefined,
    });
    expect(state.backend).toBe(backend);
    expect(fresh().storeFailure).toBeUndefined();
    // Each state has its own map: a commit of one session never changes another's base.
    expect(fresh().storedEncoded).not.toBe(fresh().storedEncoded);
  });

  it("loadedSessionState: stored, with the record's principal and encodings, the cookie seen, no device", () => {
    const storedEncoded = new Map([["user", '"ann"']]);
    const state = loadedSessionState({
      backend,
      id: "id",
      keyId: "key",
      times: times(),
      principal: "u1",
      storedEncoded,
      touchDue: true,
      cookieDue: true,
      secureRequest: true,
    });
    expect(state).toEqual({
      backend,
      id: "id",
      keyId: "key",
      isNew: false,
      times: times(),
      principal: "u1",
      cookieKind: undefined,
      lifetimeChanged: false,
      previousKeyId: undefined,
      replaces: undefined,
      device: {},
      storedEncoded: new Map([["user", '"ann"']]),
      destroyed: false,
      corrupt: false,
      touchDue: true,
      cookieDue: true,
      // A loaded session's cookie is cleared only if this request ends the session (rule 16).
      clearableCookie: false,
      storeFailure: undefined,
      secureRequest: true,
      commitChain: undefined,
    });
    expect(state.storedEncoded).toBe(storedEncoded);
    expect(Object.isFrozen(state.device)).toBe(true);
  });
});
