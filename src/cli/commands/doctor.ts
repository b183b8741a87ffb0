import { Command } from "commander";
import pc from "picocolors";
import type { CheckStatus } from "../../admin/index.js";
import {
  Exit,
  output,
  type SharedOptions,
  shownUrl,
  table,
  withAdmin,
  withSharedOptions,
} from "../cli-context.js";

const MARK: Record<CheckStatus, string> = {
  ok: pc.green("ok"),
  warn: pc.yellow("warn"),
  fail: pc.red("FAIL"),
};

export function doctorCommand(): Command {
  return withSharedOptions(new Command("doctor"))
    .description(
      "check the Redis behind the sessions: topology and roles, cluster_state, version, maxmemory policy, persistence, evictions, ACL, latency, keys without TTL (sampled); exit 1 if a check fails",
    )
    .action(async (options: SharedOptions) => {
      const report = await withAdmin(options, (admin) => admin.doctor());
      output(options, report, () => {
        const grid = table(["check", "status", "message"], { colWidths: [18, 8, 90], wordWrap: true });
        for (const check of report.checks) grid.push([check.name, MARK[check.status], check.message]);
        return `${pc.bold(`sessionkit doctor: ${shownUrl(options)}`)}\n${grid.toString()}`;
      });
      if (report.checks.some((check) => check.status === "fail")) process.exitCode = Exit.failed;
    });
}
