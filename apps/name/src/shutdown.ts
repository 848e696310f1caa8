// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
import exit from "exit-x";
import type { Server } from "node:http";
import { log } from "./log";

export interface Drain {
  /** True once SIGTERM/SIGINT arrived: responses should then carry `Connection: close`. */
  readonly draining: boolean;
}

/**
 * On SIGTERM/SIGINT: stop accepting, close idle keep-alive connections, let in-flight requests
 * finish, run `beforeExit`, exit 0. After `timeoutMs` the remaining connections are cut and the
 * process exits 1, so a stuck request cannot hold a stopping task forever.
 */
export function drainOnSignals(
  server: Server,
  timeoutMs: number,
  beforeExit: () => Promise<void> = async () => {},
): Drain {
  const state = { draining: false };
  const begin = (signal: string): void => {
    if (state.draining) return;
    state.draining = true;
    const started = Date.now();
    log("draining", { signal, timeoutMs });
    const timer = setTimeout(() => {
      log("drain timed out; closing remaining connections", { timeoutMs }, "warn");
      server.closeAllConnections();
      exit(1);
    }, timeoutMs);
    timer.unref();
    server.close(() => {
      beforeExit().then(
        () => {
          log("drained", { ms: Date.now() - started });
          exit(0);
        },
        (err: unknown) => {
          // A failed hook must not hide behind a clean exit.
          log(
            "shutdown hook failed",
            { error: err instanceof Error ? err.message : JSON.stringify(err) },
            "error",
          );
          exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.on("SIGTERM", () => begin("SIGTERM"));
  process.on("SIGINT", () => begin("SIGINT"));
  return state;
}
