import { describe, expect, it } from "vitest";
import { foldKeyPattern, PatternGroups } from "../../../src/admin/key-pattern.js";

describe("foldKeyPattern", () => {
  it.each([
    ["_session_id:2::9f86d081884c7d659a2feaa0c55ad015", "_session_id:2::*"],
    ["sess:Xk2lV9pQ0aZ8rT1yU7wE3sD5fG6hJ4kL", "sess:*"],
    ["sk:default:s:{dGhpcyBpcyBhIHRhZw}", "sk:default:s:{*}"],
    ["sk:default:s:{Ab3dE5g}dGhpcyBpcyBhIGhhc2gx", "sk:default:s:{*}*"],
    ["user:42:profile", "user:*:profile"],
    ["cache/v1/page/123e4567-e89b-12d3-a456-426614174000", "cache/v1/page/*"],
    ["oauth2:config", "oauth2:config"],
    ["queue:jobs", "queue:jobs"],
    ["lock:{user}:1", "lock:{user}:1"],
  ])("%s -> %s", (key, pattern) => {
    expect(foldKeyPattern(key)).toBe(pattern);
  });
});

describe("PatternGroups", () => {
  it("counts keys and bytes per pattern, largest first, and caps the number of patterns", () => {
    const groups = new PatternGroups(2);
    groups.add("a:1111", 10);
    groups.add("a:2222", 20);
    groups.add("b:3333", 5);
    groups.add("c:4444", 7);
    groups.add("d:5555", 1);
    expect(groups.list()).toEqual([
      { pattern: "(other patterns)", keys: 2, bytes: 8 },
      { pattern: "a:*", keys: 2, bytes: 30 },
      { pattern: "b:*", keys: 1, bytes: 5 },
    ]);
  });
});
