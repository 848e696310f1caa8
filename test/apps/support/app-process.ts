// Runs a built app (node apps/<app>/dist/server.js) as a real child process for a test.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const APPS_DIR = path.resolve(__dirname, "..", "..", "..", "apps");

export interface RunningApp {
  child: ChildProcess;
  /** Parsed JSON lines from stdout so far. */
  lines: Record<string, unknown>[];
  stderr(): string;
  /** The "listening" line's address and port. */
  listening: Promise<{ address: string; port: number }>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running; always safe to call. */
  kill(): Promise<void>;
}

export function runApp(
  app: "name" | "hello",
  env: Record<string, string>,
  startTimeoutMs = 10_000,
): RunningApp {
  const child = spawn(process.execPath, [path.join(APPS_DIR, app, "dist", "server.js")], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let err = "";
  let pending = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const listening = new Promise<{ address: string; port: number }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${app} did not log "listening" within ${startTimeoutMs} ms; stderr: ${err}`)),
      startTimeoutMs,
    );
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code} before listening; stderr: ${err}`));
    });
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const part of parts) {
        if (part.trim() === "") continue;
        const line = JSON.parse(part) as Record<string, unknown>;
        lines.push(line);
        if (line.msg === "listening") {
          clearTimeout(timer);
          resolve({ address: String(line.address), port: Number(line.port) });
        }
      }
    });
  });
  listening.catch(() => {}); // awaited by the tests that need it
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => (err += chunk));
  return {
    child,
    lines,
    stderr: () => err,
    listening,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
