/**
 * Folds the parts of a key name that differ from key to key (IDs, hashes, numbers, UUIDs) into `*`, so
 * that ten million keys written by one bug become one line: `_session_id:2::a1b2...` -> `_session_id:2::*`.
 * Separators (`:` `/` `.` `|` `{` `}` and similar) are kept; a segment between them is folded when it
 * looks like an identifier: a number of 2+ digits (a single digit is kept: a format version, as in Rails'
 * `_session_id:2::<hash>`), hex of 8+, a UUID, a base64/base64url run of 16+, a mix of letters and
 * digits of 10+.
 */
const SEPARATORS = /([:/.|{}[\]#@=,;\s]+)/;
const LOOKS_LIKE_ID = [
  /^\d{2,}$/, // numbers: user:42
  /^[0-9a-f]{8,}$/i, // hex hashes
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUIDs
  /^[A-Za-z0-9_+-]{16,}={0,2}$/, // base64 / base64url tokens
  /^(?=.*\d)[A-Za-z0-9_-]{10,}$/, // mixed letters and digits: ids like a8Zk2q9Xw1
];

/**
 * Inside a Redis Cluster hash tag (`{...}`) shorter IDs are folded too: sessionkit's 7-character slot
 * tags (`s:{Ab3dE5g}<hash>`) would otherwise make one pattern per user.
 */
const LOOKS_LIKE_TAG = [/^(?=.*\d)[A-Za-z0-9_-]{4,}$/, /^(?=.*[a-z])(?=.*[A-Z])[A-Za-z0-9_-]{6,}$/];

export function foldKeyPattern(key: string): string {
  // A UUID contains "-" but no separator of ours, so it is one segment.
  const parts = key.split(SEPARATORS);
  let folded = "";
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i % 2 === 1 || part === "") {
      folded += part;
      continue;
    }
    const inTag = (parts[i - 1] ?? "").endsWith("{") && (parts[i + 1] ?? "").startsWith("}");
    const looksLikeId = (inTag ? [...LOOKS_LIKE_ID, ...LOOKS_LIKE_TAG] : LOOKS_LIKE_ID).some((re) =>
      re.test(part),
    );
    folded += looksLikeId ? "*" : part;
  }
  return folded;
}

/**
 * Counts per pattern with a bound on the number of patterns: past `maxGroups` distinct patterns the rest
 * are counted under "(other patterns)", so keys with unusual names cannot make the audit's memory grow.
 */
export class PatternGroups {
  readonly #groups = new Map<string, { keys: number; bytes: number }>();
  readonly #maxGroups: number;

  constructor(maxGroups = 1000) {
    this.#maxGroups = maxGroups;
  }

  add(key: string, bytes: number): void {
    let pattern = foldKeyPattern(key);
    if (!this.#groups.has(pattern) && this.#groups.size >= this.#maxGroups) pattern = "(other patterns)";
    const group = this.#groups.get(pattern) ?? { keys: 0, bytes: 0 };
    group.keys++;
    group.bytes += bytes;
    this.#groups.set(pattern, group);
  }

  /** Largest groups first. */
  list(): { pattern: string; keys: number; bytes: number }[] {
    return [...this.#groups]
      .map(([pattern, { keys, bytes }]) => ({ pattern, keys, bytes }))
      .sort((a, b) => b.keys - a.keys || a.pattern.localeCompare(b.pattern));
  }
}
