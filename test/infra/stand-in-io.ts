// What the tests that run real programs against stand-in endpoints share: a server on a free
// loopback port, and a child process with a time limit whose exit code and output are collected.
import { execFile } from "node:child_process";
import * as http from "node:http";
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

/** One call an AWS JSON 1.1 stand-in received: the action (X-Amz-Target's last part) and its body. */
export interface AwsCall {
  action: string;
  body: Record<string, unknown>;
}

/** An action's answer from the call's body. */
export type AwsAnswer = (body: Record<string, unknown>) => unknown;

/**
 * An AWS service speaking the JSON 1.1 protocol (X-Amz-Target names the action) on loopback, for
 * code that builds its own SDK client (point it here with `AWS_ENDPOINT_URL_<SERVICE>`): each action
 * in `answers` answers 200 with its JSON, any other action 400 with `errorType`. Every call is recorded.
 */
export async function standInJsonApi(
  answers: Readonly<Record<string, AwsAnswer>>,
  errorType: string,
): Promise<LoopbackServer & { calls: AwsCall[] }> {
  const calls: AwsCall[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const action =
        String(req.headers["x-amz-target"] ?? "")
          .split(".")
          .pop() ?? "";
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      calls.push({ action, body });
      // Own keys only: an action named like an Object method (`constructor`) is unknown too.
      const answer = Object.hasOwn(answers, action) ? answers[action] : undefined;
      res
        .writeHead(answer ? 200 : 400, { "Content-Type": "application/x-amz-json-1.1" })
        .end(
          JSON.stringify(
            answer ? answer(body) : { __type: errorType, message: `unexpected ${action} ${text}` },
          ),
        );
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
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
