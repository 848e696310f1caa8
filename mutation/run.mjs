#!/usr/bin/env node
// npm run mutation -- <target> [StrykerJS options, e.g. --mutate apps/hello/src/discovery/dns-wire.ts]
// Installs StrykerJS into mutation/ on first use, then mutates one target with its own tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import exit from "exit-x";
import { TARGETS } from "./targets.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** The exit code: 2 for a bad target, else npm's (if the install fails) or Stryker's. */
function main([target, ...rest]) {
  if (!target || !(target in TARGETS)) {
    console.error(
      `usage: npm run mutation -- <target> [stryker options]\n  target: one of ${Object.keys(TARGETS).join(", ")}`,
    );
    return 2;
  }
  if (!existsSync(path.join(here, "node_modules", "@stryker-mutator", "core"))) {
    const status = run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: here });
    if (status !== 0) return status;
  }
  const stryker = path.join(here, "node_modules", "@stryker-mutator", "core", "bin", "stryker.js");
  return run(process.execPath, [stryker, "run", path.join("mutation", "stryker.config.mjs"), ...rest], {
    cwd: root,
    env: { ...process.env, MUTATION_TARGET: target, TS_NODE_TRANSPILE_ONLY: "true" },
  });
}

exit(main(process.argv.slice(2)));
