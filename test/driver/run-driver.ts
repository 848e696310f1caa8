// Runs the real driver CLI as a child process (bounded in time) and captures what a user would see.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";

export const REPO_DIR = path.resolve(__dirname, "..", "..");

export interface DriverRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `onStdout` sees all stdout so far after each chunk, e.g. to send a signal at the right moment. */
export function runDriver(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
  onStdout?: (stdoutSoFar: string, child: ChildProcess) => void,
): Promise<DriverRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "driver/cli.ts", ...args],
      {
        cwd: REPO_DIR,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`driver ${args.join(" ")} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
