// Loaded with --import: makes the packages named in HIDE_PACKAGES (comma-separated) unresolvable, as if
// they were not installed (test/integration/client-packages.test.ts).
import { register } from "node:module";

const hidden = (process.env.HIDE_PACKAGES ?? "").split(",").filter(Boolean);
const hook = `
const hidden = new Set(${JSON.stringify(hidden)});
export async function resolve(specifier, context, next) {
  if (hidden.has(specifier)) {
    const error = new Error("Cannot find package '" + specifier + "' (hidden by the test)");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
