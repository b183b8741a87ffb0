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
  promise.then(
    (value) => callback(null, value),
    (error: unknown) => callback(error),
  );
  return undefined;
}
