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

interface RevokeCommandOptions extends SharedOptions {
  principal?: string;
  handle?: string;
}

export function revokeCommand(): Command {
  return withSecretOption(withSharedOptions(new Command("revoke")))
    .description(
      "end sessions through the library's revoke (destroyed events are published when the app uses events): all of --principal's, one --handle of it, or the one a cookie value / handle names; exit 1 when nothing was revoked",
    )
    .argument("[session]", "a cookie value (needs --secret), a session ID, a handle or a session's Redis key")
    .option("--principal <id>", "revoke this principal's sessions (all of them, or --handle)")
    .option("--handle <handle>", "with --principal: only this session")
    .action(async (target: string | undefined, options: RevokeCommandOptions) => {
      if (target !== undefined && options.handle !== undefined) {
        throw new CliError("give a session or --handle, not both", Exit.usage);
      }
      if (target === undefined && options.principal === undefined) {
        throw new CliError("give a session (cookie value, handle...) or --principal <id>", Exit.usage);
      }
      if (options.handle !== undefined && options.principal === undefined) {
        throw new CliError("--handle needs --principal", Exit.usage);
      }
      const revoked = await withAdmin(options, async (admin) => {
        if (target === undefined) return admin.revokePrincipal(options.principal as string, options.handle);
        const keyId = await admin.resolve(
          target,
          options.principal === undefined ? {} : { principal: options.principal },
        );
        return keyId === null ? 0 : admin.revokeSession(keyId);
      });
      output(options, { revoked }, () => `revoked ${revoked} session${revoked === 1 ? "" : "s"}`);
      if (revoked === 0) process.exitCode = Exit.failed;
    });
}
