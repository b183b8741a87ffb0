const SCRATCH = Symbol("sessionkit.dictionaryMode");

/**
 * Switches an object to V8's dictionary ("slow") properties by adding and deleting a private symbol.
 * For objects that get a new hidden class on every request anyway, that is faster, not slower: Express 5
 * gives each req and res its own hidden class (Object.setPrototypeOf per request misses V8's transition
 * cache), so every property added to them later (by sessionkit, Express's router, the app) builds new
 * hidden classes, which costs far more than a dictionary insert (bench/README.md has the measurement).
 * Behaviour is unchanged: only the object's internal representation differs.
 */
export function useDictionaryProperties(target: object): void {
  const object = target as Record<symbol, unknown>;
  object[SCRATCH] = undefined;
  delete object[SCRATCH];
}
