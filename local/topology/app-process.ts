// One app process (name, hello, or a bench's proxy) started with `node <script>`: its exit as a
// promise, the wait for the contract's first log line {"msg":"listening"}, and what it printed
// (its JSON log lines parsed, the last output lines for diagnostics, stderr). The local topology,
// the bench and the apps' tests all start their processes through it.
import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Listening {
  address: string;
  port: number;
}

export interface AppProcessOptions {
  /** Shown in front of passed-through lines and in errors, e.g. "name-2". */
  label: string;
  script: string;
  /** Options for node before the script, e.g. ["-r", "ts-node/register/transpile-only"]. */
  nodeArgs?: string[];
  env: Record<string, string>;
  /** The node binary that runs `script`. Default: the one running this process. */
  node?: string;
  /** How long `listening` waits for the "listening" line before it rejects. Default 10 000 ms. */
  startTimeoutMs?: number;
  /** Pass every output line through to our stdout (prefixed with the label). */
  verbose?: boolean;
  /** How many of the last output lines `recentLines()` keeps. Default 50. */
  keepLines?: number;
}

export class AppProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  /**
   * The {"msg":"listening"} line's address and port; rejects if the process exits first or the
   * start timeout passes (with its last output in the message).
   */
  readonly listening: Promise<Listening>;
  /** Its JSON log lines (stdout), parsed, in order. The apps log a handful (start, drain, throttled warnings). */
  readonly lines: Record<string, unknown>[] = [];
  private readonly recent: string[] = [];
  private readonly keepLines: number;
  private readonly verbose: boolean;
  private stderrText = "";
  private exit?: Exit;
  private onListening: (l: Listening) => void = () => undefined;

  constructor(options: AppProcessOptions) {
    this.label = options.label;
    this.keepLines = options.keepLines ?? 50;
    this.verbose = options.verbose ?? false;
    // Only the variables the app needs plus PATH/HOME: a stray PORT or NAME_SERVER in our own
    // environment must not leak into the tasks.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env };
    this.child = spawn(options.node ?? process.execPath, [...(options.nodeArgs ?? []), options.script], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.once("error", (err) => {
        this.keep(`spawn error: ${err.message}`);
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
    });
    this.listening = this.waitForListening(options.startTimeoutMs ?? 10_000);
    this.listening.catch(() => undefined); // awaited by whoever needs it; never an unhandled rejection
    if (this.child.stdout)
      readline.createInterface({ input: this.child.stdout }).on("line", (l) => this.onStdout(l));
    if (this.child.stderr)
      readline.createInterface({ input: this.child.stderr }).on("line", (l) => this.onStderr(l));
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
    return this.recent.slice();
  }

  /** Everything it wrote to stderr (the apps write only their configuration errors there). */
  stderr(): string {
    return this.stderrText;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGKILL and wait for the exit (SIGKILL also ends a SIGSTOPped process). Safe to call twice. */
  async kill(): Promise<Exit> {
    this.signal("SIGKILL");
    return this.exited;
  }

  private waitForListening(timeoutMs: number): Promise<Listening> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(`${this.label} ${why}. Last output:\n${this.recentLines().join("\n") || "(none)"}`));
      };
      const timer = setTimeout(
        () => fail(`did not log {"msg":"listening"} within ${timeoutMs} ms`),
        timeoutMs,
      );
      this.onListening = (l) => {
        clearTimeout(timer);
        resolve(l);
      };
      // After a resolve this reject is a no-op.
      void this.exited.then((e) => fail(`exited before listening (code ${e.code}, signal ${e.signal})`));
    });
  }

  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > this.keepLines) this.recent.shift();
    if (this.verbose) process.stdout.write(`[${this.label}] ${line}\n`);
  }

  private onStderr(line: string): void {
    this.stderrText += `${line}\n`;
    this.keep(line);
  }

  private onStdout(line: string): void {
    this.keep(line);
    if (!line.startsWith("{")) return;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // not JSON: kept for diagnostics only
    }
    this.lines.push(entry);
    if (entry.msg === "listening" && typeof entry.port === "number")
      this.onListening({ address: typeof entry.address === "string" ? entry.address : "", port: entry.port });
  }
}
