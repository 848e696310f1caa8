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

function timedOut(t: Try): void {
  t.timedOut = true;
  t.cancel(
    t.phase === "connect" ? `connect timeout after ${t.armedMs} ms` : `no response within ${t.armedMs} ms`,
  );
}

export class Try implements Dispatcher.DispatchHandler {
  phase: TryPhase = "connect";
  /** Ended by its own connect or response timer. */
  timedOut = false;
  /** Ended because the body passed maxBodyBytes (what was read so far is dropped). */
  tooLarge = false;
  /** The running timer's length, and whether the request's deadline (not the timeout) set it. */
  armedMs = 0;
  deadlineArmed = false;
  status = 0;
  headers: IncomingHttpHeaders = NO_HEADERS;
  body: Buffer = EMPTY;
  private ended = false;
  private controller: Dispatcher.DispatchController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chunks: Buffer[] | undefined;
  private bodyBytes = 0;

  constructor(
    private readonly owner: TryOwner,
    private readonly connectTimeoutMs: number,
    private readonly responseTimeoutMs: number,
    /** Epoch ms (on `now`'s clock) by which the whole request must be done. */
    private readonly deadlineAt: number,
    private readonly now: () => number,
    private readonly maxBodyBytes: number,
  ) {}

  /** Dispatches; a free keep-alive connection starts the request synchronously (no connect timer then). */
  start(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions): void {
    dispatcher.dispatch(options, this);
    if (!this.ended && this.phase === "connect") this.arm(this.connectTimeoutMs);
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
    this.arm(this.responseTimeoutMs);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    this.status = statusCode;
    this.headers = headers;
    // A declared length over the limit is refused before a byte of the body is read.
    if (Number(headers["content-length"]) > this.maxBodyBytes) this.refuseBody();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.ended) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > this.maxBodyBytes) return this.refuseBody();
    if (this.body.length === 0 && this.chunks === undefined) this.body = chunk;
    else (this.chunks ??= [this.body]).push(chunk);
  }

  onResponseEnd(): void {
    if (this.ended) return;
    if (this.chunks) this.body = Buffer.concat(this.chunks);
    this.finish(this.status >= 500 ? `HTTP ${this.status}` : undefined);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.finish(code ? `${code}: ${err.message}` : err.message);
  }

  /** Stops reading an oversized body: the buffered part is dropped with the connection. */
  private refuseBody(): void {
    this.tooLarge = true;
    this.body = EMPTY;
    this.chunks = undefined;
    this.cancel(`response body larger than ${this.maxBodyBytes} bytes`);
  }

  /** One timer for the current phase: its timeout, or what is left of the deadline when that is sooner. */
  private arm(timeoutMs: number): void {
    const left = this.deadlineAt - this.now();
    this.deadlineArmed = left < timeoutMs;
    this.armedMs = Math.max(1, this.deadlineArmed ? left : timeoutMs);
    this.timer = setTimeout(timedOut, this.armedMs, this);
  }

  private finish(failure: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.owner.tryEnded(this, failure);
  }
}
