import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "interop");

/** What the real Ruby and Python write (see make-*-corpus.* beside the files). */
export function corpus(name: "marshal-corpus.txt" | "pickle-corpus.txt"): Buffer[] {
  return readFileSync(path.join(fixtures, name), "utf8")
    .trim()
    .split("\n")
    .map((line) => Buffer.from(line, "base64"));
}
