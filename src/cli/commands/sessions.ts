import { Command } from "commander";
import { Exit, output, type SharedOptions, table, withAdmin, withSharedOptions } from "../cli-context.js";

interface SessionsCommandOptions extends SharedOptions {
  principal: string;
  idleTimeout?: string;
}

export function sessionsCommand(): Command {
  return withSharedOptions(new Command("sessions"))
    .description(
      "list a principal's sessions (handle, created, last access, deadlines, device); exit 1 when none",
    )
    .requiredOption("--principal <id>", "the principal (the value the app gave setPrincipal)")
    .option("--idle-timeout <duration>", "the app's idleTimeout, to show each idle deadline")
    .action(async (options: SessionsCommandOptions) => {
      const sessions = await withAdmin(options, (admin) =>
        admin.listSessions(
          options.principal,
          options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout },
        ),
      );
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const listed = sessions.map((s) => ({
        handle: s.handle,
        createdAt: iso(s.createdAt),
        lastAccessAt: iso(s.lastAccessAt),
        idleDeadline: iso(s.idleDeadline),
        absoluteDeadline: iso(s.absoluteDeadline),
        ...(s.userAgent === undefined ? {} : { userAgent: s.userAgent }),
        ...(s.ip === undefined ? {} : { ip: s.ip }),
      }));
      output(options, { principal: options.principal, sessions: listed }, () => {
        if (listed.length === 0) return `no sessions for principal ${JSON.stringify(options.principal)}`;
        const grid = table(["handle", "created", "last access", "absolute deadline", "device"]);
        for (const s of listed) {
          grid.push([
            s.handle,
            s.createdAt ?? "",
            s.lastAccessAt ?? "",
            s.absoluteDeadline ?? "",
            [s.userAgent, s.ip].filter(Boolean).join(" "),
          ]);
        }
        return grid.toString();
      });
      if (listed.length === 0) process.exitCode = Exit.failed;
    });
}
