import path from "node:path";
import { pathToFileURL } from "node:url";
import { Command } from "commander";
import type { ValueCodec } from "../../codecs/value-codec.js";
import {
  CliError,
  Exit,
  output,
  type SharedOptions,
  withAdmin,
  withSecretOption,
  withSharedOptions,
} from "../cli-context.js";

interface InspectCommandOptions extends SharedOptions {
  redact?: boolean;
  principal?: string;
  codec?: string;
}

export function inspectCommand(): Command {
  return withSecretOption(withSharedOptions(new Command("inspect")))
    .description(
      "show one stored session decoded: key, ttlMs, meta, data. Never prints the session ID, only its handle; exit 1 when there is no such session",
    )
    .argument(
      "<session>",
      "a cookie value (needs --secret), a session ID, a handle or the session's Redis key",
    )
    .option("--redact", "replace each value by its type and size")
    .option(
      "--codec <module>",
      "a module whose default export is the app's codec ({ name, encode, decode }); default typed JSON",
    )
    .option("--principal <id>", "the principal a handle belongs to (saves a SCAN of the namespace)")
    .action(async (target: string, options: InspectCommandOptions) => {
      const codec = options.codec === undefined ? undefined : await loadCodec(options.codec);
      const session = await withAdmin(
        options,
        async (admin) => {
          const keyId = await admin.resolve(
            target,
            options.principal === undefined ? {} : { principal: options.principal },
          );
          const found =
            keyId === null ? null : await admin.inspect(keyId, { redact: options.redact ?? false });
          if (found === null)
            throw new CliError(`no such session in namespace ${admin.namespace}`, Exit.failed);
          return found;
        },
        codec === undefined ? {} : { codec },
      );
      output(options, session, () => JSON.stringify(session, null, 2));
    });
}

/** The app's codec from a module of its own (a path or a package name): its default export. */
export async function loadCodec(specifier: string): Promise<ValueCodec> {
  const url = /^[./]/.test(specifier) ? pathToFileURL(path.resolve(specifier)).href : specifier;
  let loaded: { default?: unknown };
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    throw new CliError(`--codec ${specifier}: cannot load it (${(error as Error).message})`, Exit.usage);
  }
  const codec = loaded.default as Partial<ValueCodec> | undefined;
  if (typeof codec?.decode !== "function" || typeof codec.encode !== "function") {
    throw new CliError(
      `--codec ${specifier}: its default export is not a codec ({ name, encode, decode })`,
      Exit.usage,
    );
  }
  return codec as ValueCodec;
}
