// One try against one target through its undici pool, bounded by a connect timeout and a
// response timeout. It is the pool's dispatch handler itself (no stream, no promise, one timer),
// because it runs for every request.
import type { Dispatcher } from "undici";
import type { IncomingHttpHeaders } from "node:http";

/** "connect": the request never reached the target, so even a non-idempotent one may go elsewhere. */
export type TryPhase = "connect" | "response";

/** Told once how a try ended: `failure` is undefined for a response below 500 (read it from the try). */
export interface TryOwner {
  tryEnded(t: Try, failure: string | undefined): void;
}

const EMPTY = Buffer.alloc(0);
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});

function connectTimedOut(t: Try): void {
  t.timedOut = true;
  t.cancel(`connect timeout after ${t.connectTimeoutMs} ms`);
}

function responseTimedOut(t: Try): void {
  t.timedOut = true;
  t.cancel(`no response within ${t.responseTimeoutMs} ms`);
}

export class Try implements Dispatcher.DispatchHandler {
  phase: TryPhase = "connect";
  /** Ended by its own connect or response timer. */
  timedOut = false;
  status = 0;
  headers: IncomingHttpHeaders = NO_HEADERS;
  body: Buffer = EMPTY;
  private ended = false;
  private controller: Dispatcher.DispatchController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chunks: Buffer[] | undefined;

  constructor(
    private readonly owner: TryOwner,
    readonly connectTimeoutMs: number,
    readonly responseTimeoutMs: number,
  ) {}

  /** Dispatches; a free keep-alive connection starts the request synchronously (no connect timer then). */
  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    dispatcher.dispatch(options, this);
    if (!this.ended && this.phase === "connect") this.timer = setTimeout(connectTimedOut, this.connectTimeoutMs, this);
  }

  /** Gives up on the try (timeout, or the caller aborted): the connection is dropped if the request is on one. */
  cancel(reason: string): void {
    if (this.ended) return;
    this.finish(reason);
    this.controller?.abort(new Error(reason));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.ended) {
      controller.abort(new Error("try already given up")); // given up while waiting for a connection: never send it
      return;
    }
    this.controller = controller;
    this.phase = "response";
    clearTimeout(this.timer);
    this.timer = setTimeout(responseTimedOut, this.responseTimeoutMs, this);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.body.length === 0 && this.chunks === undefined) this.body = chunk;
    else (this.chunks ??= [this.body]).push(chunk);
  }

  onResponseEnd(): void {
    if (this.chunks) this.body = Buffer.concat(this.chunks);
    this.finish(this.status >= 500 ? `HTTP ${this.status}` : undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.finish(code ? `${code}: ${err.message}` : err.message);
  }

  private finish(failure: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.owner.tryEnded(this, failure);
  }
}
