import type { Registry } from "prom-client";
import type { Diagnostic } from "../common/diagnostics.js";
import { Tally } from "./tally.js";

const SERVED_BY = new Set(["legacy", "both", "sessionkit", "none"]);

/**
 * Counters of a staged migration (sessionkit/migrate), from its diagnostics: which side served each
 * request, imports, legacy cookies that did not verify, divergence. They tell an operator when the next
 * stage is safe. Diagnostics name no manager, so these count every migrating manager of the process.
 */
export function migrationTallies(registers: Registry[]): {
  tallies: Tally[];
  count(diagnostic: Diagnostic): void;
} {
  const served = new Tally({
    name: "sessionkit_migration_requests_total",
    help: "Requests of a migrating app, by the side that served the session (legacy, both, sessionkit, none).",
    label: "served_by",
    registers,
  });
  const imports = new Tally({
    name: "sessionkit_migration_imports_total",
    help: "Legacy sessions imported into sessionkit.",
    registers,
  });
  const rejected = new Tally({
    name: "sessionkit_migration_legacy_rejected_total",
    help: "Legacy session cookies that did not verify (never imported).",
    registers,
  });
  const diverged = new Tally({
    name: "sessionkit_migration_divergences_total",
    help: "Requests (stage legacy-primary) whose sessionkit mirror differed from the legacy session.",
    registers,
  });
  return {
    tallies: [served, imports, rejected, diverged],
    count(diagnostic) {
      switch (diagnostic.code) {
        case "SESSION_MIGRATION_SERVED": {
          const by = diagnostic.message.slice("served by ".length);
          if (SERVED_BY.has(by)) served.add(by);
          break;
        }
        case "SESSION_MIGRATION_IMPORTED":
          imports.add();
          break;
        case "SESSION_MIGRATION_LEGACY_INVALID":
          rejected.add();
          break;
        case "SESSION_MIGRATION_DIVERGED":
          diverged.add();
          break;
      }
    },
  };
}
