// What the tests that run real programs against stand-in endpoints share: a server on a free
// loopback port, and a child process with a time limit whose exit code and output are collected.
import { execFile } from "node:child_process";
import type * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface LoopbackServer {
  url: string;
  close: () => Promise<void>;
}

/** Listens on 127.0.0.1 on a port the OS picks. */
export async function listenOnLoopback(server: http.Server): Promise<LoopbackServer> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ChildResult {
  /** Exit code; null when killed (the time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file args` without a shell; SIGKILL after `timeoutMs`. Never rejects on a non-zero exit. */
export function runChild(
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs, killSignal: "SIGKILL" },
      (err, stdout, stderr) => {
        if (err && typeof err.code === "string")
          reject(new Error(`${file} did not start: ${err.message}`, { cause: err }));
        else resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}
