import { Command } from "commander";
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
    .option("--principal <id>", "the principal a handle belongs to (saves a SCAN of the namespace)")
    .action(async (target: string, options: InspectCommandOptions) => {
      const session = await withAdmin(options, async (admin) => {
        const keyId = await admin.resolve(
          target,
          options.principal === undefined ? {} : { principal: options.principal },
        );
        const found = keyId === null ? null : await admin.inspect(keyId, { redact: options.redact ?? false });
        if (found === null)
          throw new CliError(`no such session in namespace ${admin.namespace}`, Exit.failed);
        return found;
      });
      output(options, session, () => JSON.stringify(session, null, 2));
    });
}
