/**
 * The order a java.util.HashMap built by `new HashMap<>()` and put() iterates (so the order Jackson
 * writes it in): by bucket, `spread(key.hashCode()) & (capacity - 1)`, insertion order within a bucket.
 * The capacity starts at 16 and doubles past a 0.75 load. (A bucket of 8+ colliding keys in a table of
 * 64+ becomes a tree: not modelled; session metadata is a handful of keys.)
 */
export function javaHashMapOrder<T>(entries: ReadonlyArray<readonly [string, T]>): (readonly [string, T])[] {
  let capacity = 16;
  while (entries.length > capacity * 0.75) capacity *= 2;
  const bucketOf = (key: string): number => {
    const hash = javaStringHash(key);
    return (hash ^ (hash >>> 16)) & (capacity - 1);
  };
  return entries
    .map((entry, index) => ({ entry, index, bucket: bucketOf(entry[0]) }))
    .sort((a, b) => a.bucket - b.bucket || a.index - b.index)
    .map(({ entry }) => entry);
}

/** java.lang.String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 units, in 32-bit arithmetic. */
export function javaStringHash(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (Math.imul(31, hash) + value.charCodeAt(i)) | 0;
  return hash;
}
