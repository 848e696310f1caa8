// The docker CLI (and the few other commands the image pipeline runs) as promises: output
// captured, a clear error with the command and its last output lines when it fails.
import { spawn, type SpawnOptions } from "node:child_process";

export interface RunOptions {
  /** Written to the command's stdin. */
  input?: string | NodeJS.ReadableStream;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Pass the command's output through to our stderr as it comes. */
  verbose?: boolean;
  /** Kill the command after this long. Default: no limit. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split("\n").slice(-15).join("\n");
    super(`${command} failed (${code === null ? "killed" : `exit ${code}`})${tail ? `:\n${tail}` : ""}`);
  }
}

/** Runs `file args…`; resolves with its output, rejects with CommandError on a non-zero exit. */
export function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    };
    const child = spawn(file, args, spawnOptions);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (d: string) => {
      stdout += d;
      if (options.verbose) process.stderr.write(d);
    });
    child.stderr?.on("data", (d: string) => {
      stderr += d;
      if (options.verbose) process.stderr.write(d);
    });
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    const shown = `${file} ${args.join(" ")}`.slice(0, 200);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new CommandError(shown, null, err.message));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandError(shown, code, stderr || stdout));
    });
    if (typeof options.input === "string") child.stdin?.end(options.input);
    else if (options.input) options.input.pipe(child.stdin!);
    else child.stdin?.end();
  });
}

export function docker(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return run("docker", args, options);
}

/** `docker …` with the output trimmed: for inspect/format queries. */
export async function dockerOut(args: readonly string[], options: RunOptions = {}): Promise<string> {
  return (await docker(args, options)).stdout.trim();
}

/** The engine's version when one answers within the timeout, else why not. */
export async function engineStatus(
  timeoutMs = 15_000,
): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    return { ok: true, version: await dockerOut(["info", "--format", "{{.ServerVersion}}"], { timeoutMs }) };
  } catch (err) {
    const message =
      err instanceof CommandError ? err.stderr.trim().split("\n").pop() || err.message : String(err);
    return { ok: false, reason: `no Docker engine answers \`docker info\` (${message})` };
  }
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker(["image", "inspect", "--format", "{{.Id}}", ref]);
    return true;
  } catch {
    return false;
  }
}

export type Builder = "buildx" | "buildkit" | "legacy";

/**
 * Which builder `docker build` can use. @pulumi/docker's Image builds with BuildKit; so do we
 * whenever the client can: with the buildx plugin, or a pre-23 client (BuildKit built in).
 * A 23+ client without buildx only has the legacy builder; the Dockerfiles need nothing else.
 */
export async function pickBuilder(): Promise<Builder> {
  try {
    await docker(["buildx", "version"]);
    return "buildx";
  } catch {
    const client = await dockerOut(["version", "--format", "{{.Client.Version}}"]).catch(() => "");
    const major = Number(/^(\d+)\./.exec(client)?.[1] ?? NaN);
    return major < 23 ? "buildkit" : "legacy";
  }
}

export function builderEnv(builder: Builder): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_BUILDKIT: builder === "legacy" ? "0" : "1" };
}
