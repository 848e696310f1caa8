// Runs one of the project's commands with stdout and stderr on pipes whose reader is slow: it takes
// small chunks with a pause after each, as `| jq` or a CI log collector may. A command that ends
// with process.exit() while its output still waits for the pipe loses the rest (a pipe holds 64 KiB).
//
// The pipes are named pipes (FIFOs: the same kind of file as `|`, so the child's Node treats them as
// pipes) read with plain fs.read(): a child_process pipe would not do, since Node's socket drains it
// eagerly into its own buffer whatever pace its consumer reads at.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

export const ROOT = path.resolve(__dirname, "..", "..");

export interface PipedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SlowPipeOptions {
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Bytes taken per read (default 4 KiB) and the pause after each (default 2 ms). */
  chunkBytes?: number;
  pauseMs?: number;
  timeoutMs?: number;
  /** Sees the child once it runs, e.g. to signal it. */
  onSpawn?: (child: ChildProcess) => void;
}

/** A TypeScript entry point as its npm script runs it: ts-node, transpile-only, from the repository root. */
export function tsCommand(entry: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, ["-r", "ts-node/register/transpile-only", entry, ...args]];
}

const read = promisify(fs.read);

/** Everything written to the FIFO open at `fd` until its last writer closes it, read slowly. */
async function readSlowly(fd: number, chunkBytes: number, pauseMs: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buffer = Buffer.alloc(chunkBytes);
    let bytesRead: number;
    try {
      ({ bytesRead } = await read(fd, buffer, 0, chunkBytes, null));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      await sleep(Math.max(pauseMs, 5)); // empty for now; the writer is still there
      continue;
    }
    if (bytesRead === 0) return Buffer.concat(parts); // every writer closed it
    parts.push(buffer.subarray(0, bytesRead));
    await sleep(pauseMs);
  }
}

export async function runThroughSlowPipes(
  [command, args]: [string, string[]],
  options: SlowPipeOptions = {},
): Promise<PipedRun> {
  const { chunkBytes = 4096, pauseMs = 2, timeoutMs = 90_000 } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slow-pipe-"));
  const fds: number[] = [];
  try {
    const ends = ["stdout", "stderr"].map((name) => {
      const fifo = path.join(dir, name);
      execFileSync("mkfifo", [fifo]);
      // The read end first and non-blocking (a FIFO's open waits for the other end otherwise).
      const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const writeEnd = fs.openSync(fifo, fs.constants.O_WRONLY);
      fds.push(readEnd, writeEnd);
      return { readEnd, writeEnd };
    });
    const child = spawn(command, args, {
      cwd: ROOT,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", ends[0].writeEnd, ends[1].writeEnd],
    });
    // Only the child writes now: its exit closes the last write ends, which is the readers' EOF.
    for (const { writeEnd } of ends) {
      fs.closeSync(writeEnd);
      fds.splice(fds.indexOf(writeEnd), 1);
    }
    if (options.input !== undefined) child.stdin!.end(options.input);
    options.onSpawn?.(child);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    try {
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code, signal) => resolve([code, signal]));
      });
      const [stdout, stderr, [code, signal]] = await Promise.all([
        readSlowly(ends[0].readEnd, chunkBytes, pauseMs),
        readSlowly(ends[1].readEnd, chunkBytes, pauseMs),
        exited,
      ]);
      if (signal === "SIGKILL") throw new Error(`${args.join(" ")}: no exit within ${timeoutMs} ms`);
      return { code, signal, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8") };
    } finally {
      clearTimeout(timer);
    }
  } finally {
    for (const fd of fds) fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
