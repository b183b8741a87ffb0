import Table from "cli-table3";
import { type Command, Option } from "commander";
import pc from "picocolors";
import { createSessionAdmin, type SessionAdmin } from "../admin/index.js";
import type { ValueCodec } from "../codecs/value-codec.js";
import { SessionConfigError, SessionError, SessionStoreError } from "../common/errors.js";
import { validateRedisUrl } from "../redis/connection/connect.js";
import { redact } from "../redis/connection/redis-url.js";

/** Exit statuses: a contract scripts rely on (README "Operating it"). */
export const Exit = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** An error the CLI reports as one line (no stack trace) with its exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface SharedOptions {
  redis?: string;
  namespace: string;
  keyPrefix: string;
  json?: boolean;
  commandTimeout: string;
  secret?: string[];
}

/** The options every command takes. */
export function withSharedOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--redis <url>", "Redis URL: redis://, rediss://, redis+sentinel://, redis+cluster://").env(
        "REDIS_URL",
      ),
    )
    .option("--namespace <ns>", "the app's namespace", "default")
    .option("--key-prefix <prefix>", "the app's keyPrefix", "sk")
    .option("--json", "one JSON document on stdout and nothing else")
    .option("--command-timeout <duration>", "every Redis call fails after this", "5s");
}

export function withSecretOption(command: Command): Command {
  return command.addOption(
    // Not variadic: `--secret S <cookie>` must not take the cookie for a second secret. Repeat it instead.
    new Option("--secret <secret>", "the app's cookie secret, to read a cookie value (repeat for old ones)")
      .env("SESSIONKIT_SECRET")
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
  );
}

export function withPacingOptions(command: Command): Command {
  return command
    .option("--count <n>", "SCAN COUNT: keys Redis looks at per call", positiveInteger("--count"), 1000)
    .option(
      "--rate <keys/s>",
      "at most this many keys per second (0: no limit)",
      wholeNumber("--rate"),
      50_000,
    );
}

export function positiveInteger(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0)
      throw new CliError(`${name} must be a whole number > 0, got "${value}"`, Exit.usage);
    return n;
  };
}

export function wholeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new CliError(`${name} must be a whole number >= 0, got "${value}"`, Exit.usage);
    return n;
  };
}

/** The admin for the shared options; usage errors (no URL, a malformed one) exit 2 before connecting. */
export function openAdmin(options: SharedOptions, extra: { codec?: ValueCodec } = {}): SessionAdmin {
  if (options.redis === undefined || options.redis === "") {
    throw new CliError("no Redis: give --redis <url> or set REDIS_URL", Exit.usage);
  }
  try {
    validateRedisUrl(options.redis);
    return createSessionAdmin({
      ...extra,
      redis: options.redis,
      namespace: options.namespace,
      keyPrefix: options.keyPrefix,
      commandTimeout: options.commandTimeout,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
    });
  } catch (error) {
    if (error instanceof SessionConfigError) throw new CliError(error.message, Exit.usage, error.code);
    throw error;
  }
}

/** The URL as it may be printed (password replaced). */
export function shownUrl(options: SharedOptions): string {
  return options.redis ? redact(options.redis) : "(none)";
}

/** Runs a command's body with its admin, closes it, and turns every failure into a CliError. */
export async function withAdmin<T>(
  options: SharedOptions,
  body: (admin: SessionAdmin) => Promise<T>,
  extra: { codec?: ValueCodec } = {},
): Promise<T> {
  const admin = openAdmin(options, extra);
  try {
    return await body(admin);
  } catch (error) {
    throw asCliError(error, options);
  } finally {
    await admin.close().catch(() => {});
  }
}

export function asCliError(error: unknown, options: SharedOptions): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof SessionStoreError) {
    return new CliError(`Redis at ${shownUrl(options)}: ${error.message}`, Exit.failed, error.code);
  }
  if (error instanceof SessionConfigError) return new CliError(error.message, Exit.usage, error.code);
  if (error instanceof SessionError) return new CliError(error.message, Exit.failed, error.code);
  if (error instanceof Error && error.name === "AbortError")
    return new CliError("interrupted", Exit.interrupted);
  return new CliError(error instanceof Error ? error.message : String(error), Exit.failed);
}

/** Writes the result: one JSON document with --json, else the human rendering. */
export function output(options: SharedOptions, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** A table for humans: coloured borders and headings only on a terminal that wants colours. */
export function table(
  head: string[],
  extra: Omit<Table.TableConstructorOptions, "head" | "style"> = {},
): Table.Table {
  return new Table({
    head,
    ...extra,
    style: pc.isColorSupported ? { head: ["cyan"] } : { head: [], border: [] },
  });
}
