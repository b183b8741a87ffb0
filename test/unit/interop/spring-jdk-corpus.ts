import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const springJdkFixtures = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "fixtures",
  "interop",
  "spring-jdk",
);

/** The committed corpus (java/MakeCorpus.java): label -> the stream the JDK wrote. */
export function springJdkCorpus(): Map<string, Buffer> {
  const text = readFileSync(path.join(springJdkFixtures, "corpus.txt"), "utf8");
  return new Map(
    text
      .trim()
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .map((line) => {
        const [label, base64] = line.split(" ") as [string, string];
        return [label, Buffer.from(base64, "base64")];
      }),
  );
}
