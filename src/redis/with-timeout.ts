import { ErrorCodes, SessionStoreError } from "../common/errors.js";
import { causeOf, isNotConnectedError, storeErrorOf } from "./redis-errors.js";

/** The connection's last error (why it is not connected), to name the cause of a failed call. */
export type Explain = () => unknown;

/**
 * Replies that mean "not executed, try again shortly": a cluster without a majority or mid-failover
 * (CLUSTERDOWN, TRYAGAIN), a node loading its data set (LOADING), a replica whose primary is down
 * (MASTERDOWN). node-redis hands these to the caller; they are retried here, inside the deadline.
 */
const RETRYABLE = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN)\b/;
const RETRY_DELAY_MS = 50;

/**
 * Bounds one Redis call by `timeoutMs` whatever the client does (an ioredis offline queue or a node-redis
 * reconnect can hold a command for ever), retries replies that mean "not executed" until the deadline,
 * and turns every failure into a SessionStoreError that the adapters answer with 503 (DESIGN rule 9).
 *
 * This runs on every request's read, so a call sets no timer of its own: it takes its deadline from the
 * clock and joins the list of pending calls for its timeout (see DeadlineList), and one timer per list
 * expires the calls whose deadline has passed. A call fails between `timeoutMs` and `timeoutMs` + 1/8 of
 * it after it started (plus the event loop's lag at that moment, as with any timer).
 */
export function withTimeout<T>(
  operation: string,
  timeoutMs: number,
  call: () => Promise<T>,
  explain?: Explain,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    new PendingCall<T, T>(
      operation,
      timeoutMs,
      call,
      passValue,
      undefined,
      resolve,
      reject,
      explain,
    ).attempt();
  });
}

/**
 * withTimeout with the caller's handlers applied inside (a reply turned into a record, an error into a
 * result): the same as `withTimeout(...).then(onValue, onError)`, one promise and one microtask fewer on
 * every request's read. A handler that throws rejects the returned promise.
 */
export function withTimeoutThen<T, R>(
  operation: string,
  timeoutMs: number,
  call: () => Promise<T>,
  onValue: (value: T) => R,
  onError: (error: SessionStoreError) => R,
  explain?: Explain,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    new PendingCall<T, R>(operation, timeoutMs, call, onValue, onError, resolve, reject, explain).attempt();
  });
}

function passValue<T>(value: T): T {
  return value;
}

/** The list's timer checks deadlines this many times per timeout. */
const CHECKS_PER_TIMEOUT = 8;
/** Node runs a timer of more than 2^31 - 1 ms after 1 ms instead: a huge timeout must not become a tiny one. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The calls pending under one timeout, oldest first (a doubly linked list through the calls themselves:
 * adding and removing cost no allocation). Calls of one timeout join in the order of their deadlines, so
 * the expired ones are always at the head. The timer runs only while calls are pending, and is started
 * again if it stopped firing (a test suite's fake timers can swallow it).
 */
class DeadlineList {
  head: PendingCall | undefined;
  tail: PendingCall | undefined;
  readonly #checkMs: number;
  #timer: NodeJS.Timeout | undefined;
  #lastCheck = 0;

  constructor(timeoutMs: number) {
    this.#checkMs = Math.min(MAX_TIMER_MS, Math.max(1, timeoutMs / CHECKS_PER_TIMEOUT));
  }

  add(call: PendingCall, now: number): void {
    call.previous = this.tail;
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    if (this.#timer === undefined || now - this.#lastCheck > 4 * this.#checkMs + 1_000) this.#startTimer(now);
  }

  remove(call: PendingCall): void {
    const { previous, next } = call;
    if (previous === undefined) this.head = next;
    else previous.next = next;
    if (next === undefined) this.tail = previous;
    else next.previous = previous;
    call.previous = undefined;
    call.next = undefined;
  }

  #startTimer(now: number): void {
    clearInterval(this.#timer);
    this.#lastCheck = now;
    this.#timer = setInterval(this.#check, this.#checkMs);
  }

  readonly #check = (): void => {
    const now = performance.now();
    this.#lastCheck = now;
    while (this.head !== undefined && this.head.deadline <= now) this.head.expire();
    if (this.head === undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  };
}

const deadlineLists = new Map<number, DeadlineList>();

function deadlineListFor(timeoutMs: number): DeadlineList {
  let list = deadlineLists.get(timeoutMs);
  if (list === undefined) {
    list = new DeadlineList(timeoutMs);
    deadlineLists.set(timeoutMs, list);
  }
  return list;
}

class PendingCall<T = unknown, R = unknown> {
  previous: PendingCall | undefined = undefined;
  next: PendingCall | undefined = undefined;
  readonly deadline: number;
  #settled = false;
  /** The last "not executed" reply, reported if the deadline passes while retrying. */
  #retried: Error | undefined = undefined;
  readonly #list: DeadlineList;

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    readonly call: () => Promise<T>,
    readonly onValue: (value: T) => R,
    readonly onError: ((error: SessionStoreError) => R) | undefined,
    readonly resolve: (result: R) => void,
    readonly reject: (error: unknown) => void,
    readonly explain: Explain | undefined,
  ) {
    // A monotonic clock: deadlines of one list then never go backwards, whatever the wall clock does.
    const now = performance.now();
    this.deadline = now + timeoutMs;
    this.#list = deadlineListFor(timeoutMs);
    this.#list.add(this as PendingCall, now);
  }

  attempt(): void {
    if (this.#settled) return;
    let pending: Promise<T>;
    try {
      pending = this.call();
    } catch (error) {
      this.#fail(error);
      return;
    }
    pending.then(this.#succeed, this.#fail);
  }

  expire(): void {
    this.#finish();
    this.#failWith(
      this.#retried
        ? asStoreError(this.operation, this.#retried)
        : timeoutError(this.operation, this.timeoutMs, this.explain?.()),
    );
  }

  readonly #succeed = (value: T): void => {
    if (this.#settled) return;
    this.#finish();
    this.#resolveWith(this.onValue, value);
  };

  readonly #fail = (error: unknown): void => {
    if (this.#settled) return;
    // Retried until the call expires: the list ends it at its deadline even while a retry waits.
    if (error instanceof Error && RETRYABLE.test(error.message)) {
      this.#retried = error;
      setTimeout(() => this.attempt(), RETRY_DELAY_MS);
      return;
    }
    this.#finish();
    // "Not connected" says nothing; the connection's last error says why (WRONGPASS, ECONNREFUSED, TLS).
    const why = isNotConnectedError(error) ? (this.explain?.() ?? error) : error;
    this.#failWith(asStoreError(this.operation, why));
  };

  #failWith(error: SessionStoreError): void {
    if (this.onError === undefined) this.reject(error);
    else this.#resolveWith(this.onError, error);
  }

  /** Resolves with the caller's handler's result, or rejects with what the handler throws. */
  #resolveWith<A>(handler: (argument: A) => R, argument: A): void {
    let result: R;
    try {
      result = handler(argument);
    } catch (error) {
      this.reject(error);
      return;
    }
    this.resolve(result);
  }

  #finish(): void {
    this.#settled = true;
    this.#list.remove(this as PendingCall);
  }
}

/** ioredis's own commandTimeout, which fires about when ours does: a timeout all the same. */
const CLIENT_TIMEOUT = /^Command timed out\b/;

function asStoreError(operation: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  if (error instanceof Error && CLIENT_TIMEOUT.test(error.message)) {
    return new SessionStoreError(
      ErrorCodes.STORE_TIMEOUT,
      `Redis did not answer ${operation} in time (${error.message})`,
      error,
    );
  }
  return storeErrorOf(`Redis ${operation}`, error);
}

/** A timeout, named after the connection's last error when there is one (it is why nothing answered). */
function timeoutError(operation: string, timeoutMs: number, why: unknown): SessionStoreError {
  const message = `Redis did not answer ${operation} within ${timeoutMs} ms`;
  if (why === undefined || why === null) return new SessionStoreError(ErrorCodes.STORE_TIMEOUT, message);
  const cause = causeOf(why);
  const detail = why instanceof Error ? why.message : String(why);
  return new SessionStoreError(
    cause?.code ?? ErrorCodes.STORE_TIMEOUT,
    `${message}: ${cause?.summary ?? "the connection failed"} (${detail})`,
    why,
  );
}
