// Makes sure a Chromium is installed for the dashboard's browser test (pretest): Debian's `chromium`
// package, driven by playwright-core through executablePath (no browser download). Prints its path.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  for (const path of fromEnv ? [fromEnv, ...CANDIDATES] : CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

function run(command, args) {
  console.log(`ensure-chromium: ${command} ${args.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return spawnSync(command, args, { stdio: "inherit", env }).status === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let found = findChromium();
  if (found === undefined && process.platform === "linux" && process.getuid?.() === 0) {
    run("apt-get", ["update"]);
    run("apt-get", ["install", "-y", "chromium"]);
    found = findChromium();
  }
  if (found === undefined) {
    console.error(
      "ensure-chromium: the dashboard test needs Chromium: sudo apt-get install -y chromium " +
        "(or set CHROMIUM_PATH to a Chrome or Chromium binary)",
    );
    process.exit(1);
  }
  console.log(`ensure-chromium: ${found}`);
}
