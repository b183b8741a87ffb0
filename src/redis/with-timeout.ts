import { ErrorCodes, SessionStoreError } from "../core/errors.js";

/**
 * Bounds one Redis call by `timeoutMs` whatever the client does (an ioredis offline queue or a node-redis
 * reconnect can hold a command for ever), and turns every failure into a SessionStoreError that the
 * adapters answer with 503 (DESIGN rule 9).
 */
export async function withTimeout<T>(
  operation: string,
  timeoutMs: number,
  call: () => Promise<T>,
): Promise<T> {
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
  try {
    return await Promise.race([call(), timeout]);
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
