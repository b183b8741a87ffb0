import cliProgress from "cli-progress";
import type { ScanPosition, ScanProgress } from "../admin/index.js";

/**
 * A progress bar on stderr, only when stderr is a terminal: piped output and --json consumers never see
 * it. SCAN cannot say how many keys remain, so the bar counts primaries done and shows the keys scanned.
 */
export function scanProgress(label: string): { onProgress?: (progress: ScanProgress) => void; stop(): void } {
  if (!process.stderr.isTTY) return { stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} primaries | {scanned} keys | {rate} keys/s`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const startedAt = performance.now();
  let started = false;
  return {
    onProgress(progress) {
      const payload = {
        scanned: progress.scanned.toLocaleString("en"),
        rate: Math.round(progress.scanned / ((performance.now() - startedAt) / 1000 || 1)).toLocaleString(
          "en",
        ),
      };
      if (!started) {
        bar.start(progress.nodes, progress.nodesDone, payload);
        started = true;
      } else bar.update(progress.nodesDone, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** An AbortSignal that fires on Ctrl-C, so a long scan stops between two batches. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once("SIGINT", () =>
    controller.abort(Object.assign(new Error("interrupted"), { name: "AbortError" })),
  );
  return controller.signal;
}

/**
 * Runs a resumable scan under a progress bar: `scan` passes `onProgress` on to the admin API. When the scan
 * fails (an outage), stderr says where to go on with --resume, so a long run need not start again.
 */
export async function resumableScan<T>(
  label: string,
  scan: (onProgress: (progress: ScanProgress) => void) => Promise<T>,
): Promise<T> {
  const progress = scanProgress(label);
  let position: ScanPosition | null = null;
  try {
    return await scan((update) => {
      position = update.resume;
      progress.onProgress?.(update);
    });
  } catch (error) {
    const at = position as ScanPosition | null;
    if (at) process.stderr.write(`to go on from here: --resume ${at.node}@${at.cursor}\n`);
    throw error;
  } finally {
    progress.stop();
  }
}
