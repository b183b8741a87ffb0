// Makes sure redis-server and redis-cli (and, for the TLS tests, openssl) are installed (pretest). With
// --optional (predemo) a missing Redis is only a warning.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

const optional = process.argv.includes("--optional");
/** Command -> the Debian package that has it. The TLS test makes its certificates with openssl. */
const PACKAGES = {
  "redis-server": "redis-server",
  "redis-cli": "redis-server",
  ...(optional ? {} : { openssl: "openssl" }),
};
const REQUIRED = Object.keys(PACKAGES);

const HOW_TO_INSTALL = [
  "Redis 7 (redis-server and redis-cli) and openssl must be on PATH for the tests.",
  "Install it with one of:",
  "  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y redis-server openssl",
  "  macOS:         brew install redis",
  "  other:         https://redis.io/docs/latest/operate/oss_and_stack/install/",
].join("\n");

function onPath(command) {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        accessSync(path.join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function missing() {
  return REQUIRED.filter((command) => !onPath(command));
}

function canUseApt() {
  return process.platform === "linux" && process.getuid?.() === 0 && onPath("apt-get");
}

function run(command, args) {
  console.log(`ensure-redis: ${command} ${args.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return spawnSync(command, args, { stdio: "inherit", env }).status === 0;
}

function installWithApt() {
  const packages = [...new Set(missing().map((command) => PACKAGES[command]))];
  return run("apt-get", ["update"]) && run("apt-get", ["install", "-y", ...packages]);
}

function warnIfOld() {
  const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout ?? "";
  const major = Number(/v=(\d+)/.exec(version)?.[1]);
  if (major < 7) console.warn(`ensure-redis: warning: ${version.trim()} is older than Redis 7.`);
}

function giveUp() {
  if (optional) {
    console.warn(`ensure-redis: warning: Redis not found; continuing without it.\n${HOW_TO_INSTALL}`);
    process.exit(0);
  }
  console.error(`ensure-redis: ${missing().join(" and ")} not found.\n${HOW_TO_INSTALL}`);
  process.exit(1);
}

if (missing().length > 0) {
  if (!canUseApt()) giveUp();
  console.log(`ensure-redis: ${missing().join(" and ")} not found; installing with apt-get.`);
  if (!installWithApt() || missing().length > 0) giveUp();
  warnIfOld();
}
