import { ErrorCodes, SessionStoreError } from "../core/errors.js";

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
 * This runs on every request's read, so a call costs no timer and no clock read of its own: it joins the
 * list of pending calls for its timeout (see DeadlineList), and one timer per list expires the calls that
 * have waited too long. A call fails between `timeoutMs` and `timeoutMs` + 1/8 of it after it started.
 */
export function withTimeout<T>(operation: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    new PendingCall<T>(operation, timeoutMs, call, resolve, reject).attempt();
  });
}

/** Ticks per timeout: a call expires 8 to 9 ticks after it started. */
const TICKS_PER_TIMEOUT = 8;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The calls pending under one timeout, oldest first (a doubly linked list through the calls themselves:
 * adding and removing cost no allocation). A call started at tick t expires at the first tick after
 * t + TICKS_PER_TIMEOUT; since calls join in the order they start, the expired ones are always at the
 * head. The timer runs only while calls are pending, and never keeps the process alive.
 */
class DeadlineList {
  head: PendingCall | undefined;
  tail: PendingCall | undefined;
  tick = 0;
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    // Node runs a timer of more than 2^31 - 1 ms after 1 ms instead: a huge timeout must not become a tiny one.
    this.#tickMs = Math.min(MAX_TIMER_MS, Math.max(1, timeoutMs / TICKS_PER_TIMEOUT));
  }

  add(call: PendingCall): void {
    call.startTick = this.tick;
    call.previous = this.tail;
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    if (this.#timer === undefined) {
      this.#timer = setInterval(this.#advance, this.#tickMs);
      this.#timer.unref();
    }
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

  readonly #advance = (): void => {
    this.tick++;
    // Strictly more than TICKS_PER_TIMEOUT ticks: a call started just before a tick still gets its time.
    while (this.head !== undefined && this.tick - this.head.startTick > TICKS_PER_TIMEOUT) {
      this.head.expire();
    }
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

class PendingCall<T = unknown> {
  previous: PendingCall | undefined = undefined;
  next: PendingCall | undefined = undefined;
  startTick = 0;
  #settled = false;
  readonly #list: DeadlineList;

  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
    readonly call: () => Promise<T>,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
  ) {
    this.#list = deadlineListFor(timeoutMs);
    this.#list.add(this as PendingCall);
  }

  readonly attempt = (): void => {
    if (this.#settled) return;
    let pending: Promise<T>;
    try {
      pending = this.call();
    } catch (error) {
      this.#fail(error);
      return;
    }
    pending.then(this.#succeed, this.#fail);
  };

  expire(): void {
    this.#finish();
    this.reject(
      new SessionStoreError(
        ErrorCodes.STORE_TIMEOUT,
        `Redis did not answer ${this.operation} within ${this.timeoutMs} ms`,
      ),
    );
  }

  readonly #succeed = (value: T): void => {
    if (this.#settled) return;
    this.#finish();
    this.resolve(value);
  };

  readonly #fail = (error: unknown): void => {
    if (this.#settled) return;
    // Retried until the call expires: the list ends it at its deadline even while a retry waits.
    if (error instanceof Error && RETRYABLE.test(error.message)) {
      setTimeout(this.attempt, RETRY_DELAY_MS);
      return;
    }
    this.#finish();
    this.reject(asStoreError(this.operation, error));
  };

  #finish(): void {
    this.#settled = true;
    this.#list.remove(this as PendingCall);
  }
}

function asStoreError(operation: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  return new SessionStoreError(
    ErrorCodes.STORE_UNAVAILABLE,
    `Redis ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
    error,
  );
}
