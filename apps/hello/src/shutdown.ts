// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
import exit from "exit-x";
import type { Server, ServerResponse } from "node:http";
import { log } from "./log";

export interface Drain {
  /** True once SIGTERM/SIGINT arrived. */
  readonly draining: boolean;
  /**
   * Call right before writing a response's head: while draining it says `Connection: close`, so
   * the socket closes once this response is sent (never between a client's two requests).
   */
  closeAfter(res: ServerResponse): void;
}

export interface DrainOptions {
  /**
   * Keep accepting and serving this long after the signal: callers still send while they learn
   * the task is going (cached DNS, a load balancer's keep-alive connections). Each answer in that
   * time closes its connection, so by the end almost every caller has moved on.
   */
  delayMs: number;
  /** Bound on the whole drain, from the signal: then the remaining connections are cut, exit 1. */
  timeoutMs: number;
  /** Runs once every connection is closed, before exit 0. */
  beforeExit?: () => Promise<void>;
}

/**
 * On SIGTERM/SIGINT: keep serving for `delayMs`, every response carrying `Connection: close`;
 * then stop accepting, close the connections that sat idle through the whole delay, let requests
 * in flight finish (each closes its connection after its response), run `beforeExit`, exit 0.
 * Closing an idle keep-alive connection at the signal would reset a request already on the wire.
 */
export function drainOnSignals(server: Server, options: DrainOptions): Drain {
  const { delayMs, timeoutMs, beforeExit = async () => {} } = options;
  const drain = {
    draining: false,
    closeAfter(res: ServerResponse): void {
      if (drain.draining && !res.headersSent) res.setHeader("Connection", "close");
    },
  };
  const exitWhenClosed = (started: number): void => {
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
  const begin = (signal: string): void => {
    if (drain.draining) return;
    drain.draining = true;
    const started = Date.now();
    log("draining", { signal, delayMs, timeoutMs });
    setTimeout(() => {
      log("drain timed out; closing remaining connections", { timeoutMs }, "warn");
      server.closeAllConnections();
      exit(1);
    }, timeoutMs).unref();
    setTimeout(exitWhenClosed, delayMs, started);
  };
  process.on("SIGTERM", () => begin("SIGTERM"));
  process.on("SIGINT", () => begin("SIGINT"));
  return drain;
}
