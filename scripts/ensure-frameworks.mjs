// Makes sure the real Rails, Django, PHP and Java stacks the interop tests drive are installed (pretest):
// Debian's Ruby with ActionPack, ActiveSupport, redis and redis-actionpack, Debian's Python 3 with
// Django and django-redis, Debian's PHP with phpredis (php-cli, php-redis), and OpenJDK 17 with Jackson 2
// (Spring Session's own jars are not in Debian). They are installed with
// apt-get when missing (about 20 s, PHP about 10 s more); without apt the tests cannot run, and this
// says how to get them instead of letting the tests skip.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { JACKSON_CLASSPATH, JAVAC } from "./java-paths.mjs";

const PACKAGES = [
  "ruby",
  "ruby-actionpack",
  "ruby-activesupport",
  "ruby-redis",
  "ruby-redis-actionpack",
  "python3-django",
  "python3-django-redis",
  "php-cli",
  "php-redis",
  "openjdk-17-jdk-headless",
  "libjackson2-databind-java",
];

/** The interpreters the tests run: Debian's, whose library paths hold the Debian packages. */
export const RUBY = "/usr/bin/ruby";
export const PYTHON = "/usr/bin/python3";
export const PHP = "/usr/bin/php";

function works() {
  const ruby = spawnSync(
    RUBY,
    [
      "-e",
      'require "action_dispatch"; require "active_support/cache/redis_cache_store"; require "redis-actionpack"',
    ],
    { stdio: "ignore" },
  );
  const python = spawnSync(PYTHON, ["-c", "import django, django_redis"], { stdio: "ignore" });
  // PHP with phpredis as a session save handler (session.save_handler=redis).
  const php = spawnSync(PHP, ["-r", 'exit(extension_loaded("redis") ? 0 : 1);'], { stdio: "ignore" });
  // A JDK (javac, not only a runtime) and Jackson's jars for the Spring fixtures.
  const java =
    spawnSync(JAVAC, ["-version"], { stdio: "ignore" }).status === 0 &&
    JACKSON_CLASSPATH.split(":").every((jar) => existsSync(jar));
  return ruby.status === 0 && python.status === 0 && php.status === 0 && java;
}

function run(command, args) {
  console.log(`ensure-frameworks: ${command} ${args.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return spawnSync(command, args, { stdio: "inherit", env }).status === 0;
}

function canUseApt() {
  return (
    process.platform === "linux" &&
    process.getuid?.() === 0 &&
    spawnSync("apt-get", ["--version"]).status === 0
  );
}

if (!works()) {
  const how = `The interop tests drive real Rails, Django and PHP, and Java with Jackson. Install them with:\n  sudo apt-get install -y ${PACKAGES.join(" ")}\n(Debian 12 or later; elsewhere, run the tests in the project's CI image).`;
  if (!canUseApt()) {
    console.error(
      `ensure-frameworks: Rails (ruby-actionpack), Django (python3-django) or PHP with phpredis (php-redis) or a JDK with Jackson (openjdk-17-jdk-headless, libjackson2-databind-java) not found.\n${how}`,
    );
    process.exit(1);
  }
  if (!run("apt-get", ["install", "-y", ...PACKAGES])) {
    if (!run("apt-get", ["update"]) || !run("apt-get", ["install", "-y", ...PACKAGES])) {
      console.error(`ensure-frameworks: apt-get could not install them.\n${how}`);
      process.exit(1);
    }
  }
  if (!works()) {
    console.error(`ensure-frameworks: installed, but Ruby, Python or PHP cannot load them.\n${how}`);
    process.exit(1);
  }
}
