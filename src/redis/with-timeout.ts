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
 * One promise and one timer per call, no async wrappers: this runs on every request's read, where each
 * extra promise layer is a microtask and garbage.
 */
export function withTimeout<T>(operation: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(
        new SessionStoreError(
          ErrorCodes.STORE_TIMEOUT,
          `Redis did not answer ${operation} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const succeed = (value: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      const retryable = error instanceof Error && RETRYABLE.test(error.message);
      if (retryable && Date.now() + RETRY_DELAY_MS < deadline) {
        setTimeout(attempt, RETRY_DELAY_MS);
        return;
      }
      settled = true;
      clearTimeout(timer);
      reject(asStoreError(operation, error));
    };
    function attempt(): void {
      if (settled) return;
      let pending: Promise<T>;
      try {
        pending = call();
      } catch (error) {
        fail(error);
        return;
      }
      pending.then(succeed, fail);
    }
    attempt();
  });
}

function asStoreError(operation: string, error: unknown): SessionStoreError {
  if (error instanceof SessionStoreError) return error;
  return new SessionStoreError(
    ErrorCodes.STORE_UNAVAILABLE,
    `Redis ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
    error,
  );
}
