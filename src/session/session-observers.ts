import type { CommitTrace, LoadTrace } from "./session-tracing.js";

/**
 * Hears the end of every load and commit of one SessionManager, with the same context objects the
 * tracing channels carry. For sessionkit/metrics: counting from here costs a function call per request,
 * whereas a subscriber on the tracing channels makes every load and commit go through
 * TracingChannel.tracePromise (bench/README.md, "The cost of sessionkit/metrics").
 */
export interface SessionObserver {
  /** A load ended after `ms`; `trace.error` is set when it threw. */
  loadEnded(trace: LoadTrace, ms: number): void;
  /** A commit that reached the store (or failed) ended after `ms`; `trace.error` is set when it threw. */
  commitEnded(trace: CommitTrace, ms: number): void;
}

/** The observers of a manager, shared with its loader so that the request path reads one array. */
export type SessionObservers = SessionObserver[];

const observersOf = new WeakMap<object, SessionObservers>();

/** Registers a manager's observer list (the manager's constructor does). */
export function registerObservers(manager: object, observers: SessionObservers): void {
  observersOf.set(manager, observers);
}

/** Adds an observer to a manager; answers the function that removes it. */
export function observeSessions(manager: object, observer: SessionObserver): () => void {
  const observers = observersOf.get(manager);
  if (observers === undefined) throw new TypeError("not a SessionManager built by createSessionManager");
  observers.push(observer);
  return () => {
    const index = observers.indexOf(observer);
    if (index !== -1) observers.splice(index, 1);
  };
}

/** Settles `work` into the observers: `ended` runs for each, with the trace and the time it took. */
export function observed<T, C extends { error?: unknown }>(
  work: Promise<T>,
  trace: C,
  observers: SessionObservers,
  ended: (observer: SessionObserver, trace: C, ms: number) => void,
): Promise<T> {
  const started = performance.now();
  const notify = () => {
    const ms = performance.now() - started;
    for (const observer of observers) ended(observer, trace, ms);
  };
  return work.then(
    (value) => {
      notify();
      return value;
    },
    (error: unknown) => {
      trace.error = error;
      notify();
      throw error;
    },
  );
}
