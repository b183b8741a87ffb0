/** The Node-style callback express-session and @fastify/session pass to a store. */
export type Callback<T> = (error: unknown, value?: T) => void;

/**
 * express-session calls stores with callbacks; apps calling the store themselves (length(), clear())
 * prefer promises. With a callback, a failure reaches the callback exactly once (connect-redis calls it a
 * second time when the callback itself throws) and the promise is not returned to be left unhandled;
 * without one the caller gets the promise.
 */
export function withCallback<T>(
  promise: Promise<T>,
  callback: Callback<T> | undefined,
): Promise<T> | undefined {
  if (callback === undefined) return promise;
  // Called outside the promise chain: an exception in the caller's callback is an uncaught exception, as
  // with any callback API, not an unhandled rejection of a promise nobody holds.
  promise.then(
    (value) => process.nextTick(callback, null, value),
    (error: unknown) => process.nextTick(callback, error),
  );
  return undefined;
}
