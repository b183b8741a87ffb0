import { SessionError } from "../../src/common/errors.js";

/**
 * How many inputs each property test tries: a few hundred in `npm test`, FUZZ_RUNS (`npm run fuzz` sets
 * 1,000,000) when asked. A failure prints fast-check's seed and shrunk counterexample.
 */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Time budget per property when fuzzing at full count. */
export const FUZZ_TIMEOUT_MS = RUNS > 10_000 ? 3_600_000 : 30_000;

/** Object.prototype's own keys and their values: a property test checks nothing polluted them. */
export function prototypeSnapshot(): string {
  return (
    JSON.stringify(Object.getOwnPropertyNames(Object.prototype).sort()) +
    String(({} as { polluted?: unknown }).polluted)
  );
}

/** Runs a decode: it may be refused, but only ever with a SessionError (codec or limits), never a crash. */
export function decodesOrRefuses(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof SessionError)) throw error;
  }
}

/** The SessionError `run` throws; fails the test when it throws nothing or another error. */
export function refusal(run: () => unknown): SessionError {
  try {
    run();
  } catch (error) {
    if (error instanceof SessionError) return error;
    throw error;
  }
  throw new Error("expected a SessionError");
}
