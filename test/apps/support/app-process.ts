// The apps' tests start a built app (node apps/<app>/dist/server.js) the way the local topology does.
import path from "node:path";
import { AppProcess } from "../../../local/app-process";

export const APPS_DIR = path.resolve(__dirname, "..", "..", "..", "apps");

export type RunningApp = AppProcess;

export function runApp(
  app: "name" | "hello",
  env: Record<string, string>,
  startTimeoutMs = 10_000,
): AppProcess {
  return new AppProcess({
    label: app,
    script: path.join(APPS_DIR, app, "dist", "server.js"),
    env,
    startTimeoutMs,
  });
}
