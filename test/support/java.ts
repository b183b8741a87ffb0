import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { JACKSON_CLASSPATH, JAVA, JAVAC } from "../../scripts/java-paths.mjs";

export { JACKSON_CLASSPATH };

/** Java programs compiled once per test file (javac into a temp dir), run as often as the tests need. */
export interface JavaPrograms {
  /** Runs `main` with `args`, `input` on stdin; answers stdout, throws with stderr when it fails. */
  run(main: string, args?: readonly string[], input?: string): string;
  /** Removes the compiled classes. */
  dispose(): void;
}

function javaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? javaFiles(path.join(dir, entry.name))
      : entry.name.endsWith(".java")
        ? [path.join(dir, entry.name)]
        : [],
  );
}

/** Compiles every .java under `sourceDir` with Debian's JDK (scripts/ensure-frameworks.mjs installs it). */
export function compileJava(sourceDir: string, classpath = ""): JavaPrograms {
  const classes = mkdtempSync(path.join(tmpdir(), "sessionkit-java-"));
  const fullClasspath = classpath === "" ? classes : `${classes}:${classpath}`;
  const compiled = spawnSync(
    JAVAC,
    ["-nowarn", "-d", classes, "-cp", fullClasspath, ...javaFiles(sourceDir)],
    {
      encoding: "utf8",
    },
  );
  if (compiled.status !== 0) {
    rmSync(classes, { recursive: true, force: true });
    throw new Error(`javac failed: ${compiled.stderr}`);
  }
  return {
    run(main, args = [], input = "") {
      const result = spawnSync(JAVA, ["-cp", fullClasspath, main, ...args], {
        input,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
      });
      if (result.status !== 0) throw new Error(`${main} failed: ${result.stderr}`);
      return result.stdout;
    },
    dispose: () => rmSync(classes, { recursive: true, force: true }),
  };
}

/** A string as the fixtures' readers print it: printable ASCII as is, every other UTF-16 unit as \uXXXX. */
export function javaQuote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out +=
      unit >= 0x20 && unit < 0x7f && unit !== 0x22 && unit !== 0x5c
        ? text[i]
        : `\\u${unit.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

/** A double's raw bits (Double.doubleToRawLongBits), as the readers print them: exact, -0 and NaN included. */
export function doubleBits(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0);
}
