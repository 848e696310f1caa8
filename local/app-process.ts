// One app process (name or hello) started with `node dist/server.js`: its last output lines for
// diagnostics, its exit as a promise, and the wait for the contract's first log line {"msg":"listening"}.
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface AppProcessOptions {
  /** Shown in front of passed-through lines and in errors, e.g. "name-2". */
  label: string;
  script: string;
  env: Record<string, string>;
  /** Pass every output line through to our stdout (prefixed with the label). */
  verbose?: boolean;
  /** How many of the last output lines to keep. Default 50. */
  keepLines?: number;
}

export interface Listening {
  address: string;
  port: number;
}

export class AppProcess {
  readonly label: string;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly keepLines: number;
  private exit?: Exit;
  private listeningWaiters: Array<(l: Listening) => void> = [];
  private listening?: Listening;

  constructor(options: AppProcessOptions) {
    this.label = options.label;
    this.keepLines = options.keepLines ?? 50;
    // Only the variables the app needs plus PATH/HOME: a stray PORT or NAME_SERVER in our own
    // environment must not leak into the tasks.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env };
    this.child = spawn(process.execPath, [options.script], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once("error", (err) => {
        this.keep(`spawn error: ${err.message}`, options.verbose);
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on("line", (line) => this.onLine(line, options.verbose));
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** How it ended; undefined while it runs. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** The last lines the process printed (stdout and stderr interleaved as they came). */
  recentLines(): string[] {
    return this.lines.slice();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Resolves at the {"msg":"listening"} line; rejects if the process exits first or the time runs out. */
  waitForListening(timeoutMs: number): Promise<Listening> {
    if (this.listening) return Promise.resolve(this.listening);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} ${why}. Last output:\n${this.recentLines().join("\n") || "(none)"}`));
      };
      const timer = setTimeout(
        () => fail(`did not log {"msg":"listening"} within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.listeningWaiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
      void this.exited.then((e) => {
        if (!this.listening) fail(`exited before listening (code ${e.code}, signal ${e.signal})`);
      });
    });
  }

  /** SIGKILL and wait for the exit (SIGKILL also ends a SIGSTOPped process). */
  async kill(): Promise<Exit> {
    this.signal("SIGKILL");
    return this.exited;
  }

  private keep(line: string, verbose?: boolean): void {
    this.lines.push(line);
    if (this.lines.length > this.keepLines) this.lines.shift();
    if (verbose) process.stdout.write(`[${this.label}] ${line}\n`);
  }

  private onLine(line: string, verbose?: boolean): void {
    this.keep(line, verbose);
    if (this.listening || !line.startsWith("{")) return;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; address?: unknown; port?: unknown };
      if (entry.msg === "listening" && typeof entry.port === "number") {
        this.listening = { address: String(entry.address ?? ""), port: entry.port };
        for (const waiter of this.listeningWaiters) waiter(this.listening);
        this.listeningWaiters = [];
      }
    } catch {
      // not JSON: kept for diagnostics only
    }
  }
}
