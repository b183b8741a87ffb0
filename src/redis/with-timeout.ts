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
 */
export async function withTimeout<T>(
  operation: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SessionStoreError(
            ErrorCodes.STORE_TIMEOUT,
            `Redis did not answer ${operation} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  const attempt = async (): Promise<T> => {
    for (;;) {
      try {
        return await call();
      } catch (error) {
        const retryable = error instanceof Error && RETRYABLE.test(error.message);
        if (!retryable || Date.now() + RETRY_DELAY_MS >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  };
  try {
    return await Promise.race([attempt(), timeout]);
  } catch (error) {
    if (error instanceof SessionStoreError) throw error;
    throw new SessionStoreError(
      ErrorCodes.STORE_UNAVAILABLE,
      `Redis ${operation} failed: ${(error as Error)?.message ?? String(error)}`,
      error,
    );
  } finally {
    clearTimeout(timer);
  }
}
