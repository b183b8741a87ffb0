#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { asCliError, type CliError, Exit } from "./cli-context.js";
import { doctorCommand } from "./commands/doctor.js";
import { eventsCommand } from "./commands/events.js";
import { inspectCommand } from "./commands/inspect.js";
import { migrateCommand } from "./commands/migrate.js";
import { purgeCommand } from "./commands/purge.js";
import { revokeCommand } from "./commands/revoke.js";
import { sessionsCommand } from "./commands/sessions.js";
import { statsCommand } from "./commands/stats.js";
import { ttlAuditCommand } from "./commands/ttl-audit.js";

/**
 * `sessionkit <command>`: the operator's view of a Redis that holds sessions, through the admin API
 * (src/admin). Exit status 0 on success, 1 when a check fails, nothing was found or Redis could not be
 * used, 2 on a usage error. With --json stdout carries one JSON document and nothing else.
 */
function program(): Command {
  const root = new Command("sessionkit")
    .description(
      "operate the Redis behind sessionkit: doctor, stats, ttl-audit, inspect, sessions, revoke, events, purge, migrate",
    )
    .version(packageVersion())
    .showHelpAfterError("(add --help for usage)");
  for (const command of [
    doctorCommand(),
    statsCommand(),
    ttlAuditCommand(),
    inspectCommand(),
    sessionsCommand(),
    revokeCommand(),
    eventsCommand(),
    purgeCommand(),
    migrateCommand(),
  ]) {
    root.addCommand(command.exitOverride().showHelpAfterError("(add --help for usage)"));
  }
  return root.exitOverride();
}

/** The installed package's version (dist/cli/main.js -> package.json); "unknown" where there is none. */
function packageVersion(): string {
  try {
    const manifest = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(manifest) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** Node prints process warnings on stderr; the start-up check's are doctor's to report, not noise. */
function quietLibraryWarnings(): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    if (warning.code !== "SESSIONKIT_REDIS_CONFIG")
      process.stderr.write(`${warning.name}: ${warning.message}\n`);
  });
}

async function main(argv: string[]): Promise<number> {
  quietLibraryWarnings();
  try {
    await program().parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : Exit.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end this way too, with exit code 0; commander printed the message.
      if (
        error.exitCode === 0 ||
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.version"
      )
        return Exit.ok;
      return Exit.usage;
    }
    const failure = asCliError(error, { namespace: "", keyPrefix: "", commandTimeout: "", json: false });
    reportFailure(failure, argv.includes("--json"));
    return failure.exitCode;
  }
}

function reportFailure(failure: CliError, json: boolean): void {
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: failure.code ?? null, message: failure.message } })}\n`,
    );
  }
  process.stderr.write(`sessionkit: ${failure.message}${failure.code ? ` (${failure.code})` : ""}\n`);
}

const code = await main(process.argv);
// Every connection is closed by now; exit explicitly once stdout is flushed, so that a pending timer of
// a client can never keep the shell waiting.
process.stdout.write("", () => process.exit(code));
