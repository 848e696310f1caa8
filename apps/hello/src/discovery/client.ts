// createServiceClient: HTTP calls to a service found through DNS, spread over its tasks, with
// timeouts, retries on another task, and passive outlier ejection. Or, in proxy mode, plain calls
// through one keep-alive pool to a host the OS resolves (a sidecar proxy does the balancing).
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import { Try, type TryOwner } from "./attempt";
import { systemDnsServers, formatDnsServer } from "./dns-servers";
import {
  AllTargetsEjectedError,
  AllTriesFailedError,
  DeadlineExceededError,
  DnsUnavailableError,
  InvalidOptionError,
  NoTargetsError,
  RequestAbortedError,
  ResponseTooLargeError,
  type ServiceUnavailableError,
} from "./errors";
import {
  describeRange,
  OPTION_LIMITS,
  resolveOptions,
  type DiscoveryMode,
  type ResolvedOptions,
  type ServiceClientOptions,
} from "./options";
import { TargetPool, type TargetMetrics, type TargetState } from "./pool";
import type { RecordType } from "./records";
import { TargetResolver, type DnsCounters, type ResolverStatus } from "./resolver";

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Overrides the client's deadlineMs for this request. */
  deadlineMs?: number;
  /** Stops the request's tries (the one in flight is dropped) and rejects with RequestAbortedError. */
  signal?: AbortSignal;
}

export interface ServiceResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** host:port of the task that answered. */
  target: string;
  tries: number;
}

export interface ClientMetrics extends DnsCounters {
  requests: number;
  /** Tries sent to tasks: first tries and retries. */
  tries: number;
  retries: number;
  failures: number;
  /** Requests whose caller aborted them (not counted as failures). */
  aborted: number;
  /** Requests sent from a record set kept after its DNS refresh failed (serve-stale). */
  staleRequests: number;
  ejections: number;
  discovery: ResolverStatus & {
    name: string;
    mode: DiscoveryMode;
    recordType: RecordType;
    dnsServers: string[];
    targets: number;
  };
  targets: Record<string, TargetMetrics>;
}

export interface ServiceClient {
  request(path: string, options?: RequestOptions): Promise<ServiceResponse>;
  metrics(): ClientMetrics;
  /** Resolves once the first DNS lookup finished (or after waitMs). */
  ready(waitMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** Why a request ends when the caller closes its client (the cause of its RequestAbortedError). */
const CLOSED = new Error("the client was closed");

/** What every call of one client shares. */
interface Core {
  readonly o: ResolvedOptions;
  readonly name: string;
  readonly pool: TargetPool;
  readonly resolver: TargetResolver | undefined;
  /** Each try on a different target (dns mode); proxy mode has one upstream, tried again. */
  readonly distinctTargets: boolean;
  readonly counters: DnsCounters & {
    requests: number;
    tries: number;
    retries: number;
    failures: number;
    aborted: number;
    staleRequests: number;
  };
  /** Set by close(): no try starts after it. */
  closed: boolean;
}

/** One request: its tries, one after another, until an answer, the deadline, or maxTries. */
class Call implements TryOwner {
  private tries = 0;
  private first: TargetState | undefined;
  /** Allocated only for a retry: the targets tried so far. */
  private tried: TargetState[] | undefined;
  private reasons: string[] | undefined;
  private current: TargetState | undefined;
  private currentTry: Try | undefined;
  private deadlineHit = false;
  private settled = false;
  private aborted = false;
  private abortListener: (() => void) | undefined;

  constructor(
    private readonly core: Core,
    private readonly dispatch: Dispatcher.DispatchOptions,
    private readonly idempotent: boolean,
    private readonly started: number,
    private readonly deadlineMs: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (r: ServiceResponse) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  begin(): void {
    const { signal, core } = this;
    if (signal) {
      if (signal.aborted) return this.abort(signal.reason);
      this.abortListener = () => this.abort(signal.reason);
      signal.addEventListener("abort", this.abortListener, { once: true });
    }
    if (!core.resolver || core.resolver.answered) return this.next();
    // Only the first requests wait, for the first lookup; refreshes happen in the background.
    void core.resolver.ready(this.remaining()).then(() => {
      if (!this.settled) this.next();
    });
  }

  tryEnded(t: Try, failure: string | undefined): void {
    if (t !== this.currentTry) return;
    const state = this.current as TargetState;
    const { pool } = this.core;
    this.currentTry = undefined;
    if (this.aborted) return pool.release(state);
    if (this.core.closed) {
      pool.release(state); // the task did nothing wrong: close() dropped the connection
      return this.abort(CLOSED);
    }
    if (failure === undefined) {
      pool.succeed(state);
      return this.settle(
        { status: t.status, headers: t.headers, body: t.body, target: state.key, tries: this.tries },
        undefined,
      );
    }
    pool.fail(state, failure);
    if (t.tooLarge) {
      // The task answered, badly; the request ran, so another task is not asked to run it again.
      this.core.counters.failures += 1;
      return this.settle(
        undefined,
        new ResponseTooLargeError(
          `${state.key} answered with a body larger than maxResponseBytes (${this.core.o.maxResponseBytes})`,
          state.key,
          this.core.o.maxResponseBytes,
        ),
      );
    }
    (this.reasons ??= []).push(`${state.key}: ${failure}`);
    if (t.timedOut && t.deadlineArmed) {
      this.deadlineHit = true; // the try's timer was the deadline's
      return this.fail();
    }
    if (!this.idempotent && t.phase !== "connect") return this.fail(); // it may have run: do not run it twice
    this.next();
  }

  private remaining(): number {
    return this.started + this.deadlineMs - this.core.o.now();
  }

  private next(): void {
    const { core } = this;
    const { o } = core;
    // Not "no task registered": the caller's own close() ended it.
    if (core.closed) return this.abort(CLOSED);
    if (this.tries >= o.maxTries) return this.fail();
    const remaining = this.remaining();
    if (remaining <= 0) {
      this.deadlineHit = true;
      return this.fail();
    }
    const exclude =
      !core.distinctTargets || this.first === undefined ? undefined : (this.tried ??= [this.first]);
    const state = core.pool.pick(exclude);
    if (!state) return this.fail();
    if (this.first === undefined) this.first = state;
    else exclude?.push(state);
    if (this.tries > 0) core.counters.retries += 1;
    this.tries += 1;
    core.counters.tries += 1;
    core.pool.begin(state);
    this.current = state;
    const t = new Try(
      this,
      o.connectTimeoutMs,
      o.responseTimeoutMs,
      this.started + this.deadlineMs,
      o.now,
      o.maxResponseBytes,
    );
    this.currentTry = t;
    t.start(state.dispatcher, this.dispatch);
  }

  private abort(reason: unknown): void {
    if (this.settled) return;
    this.aborted = true;
    this.core.counters.aborted += 1;
    this.currentTry?.cancel("request aborted by the caller");
    this.settle(undefined, new RequestAbortedError(reason));
  }

  private fail(): void {
    if (this.settled) return;
    this.core.counters.failures += 1;
    this.settle(undefined, this.unavailable());
  }

  private settle(response: ServiceResponse | undefined, error: Error | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (this.abortListener) this.signal?.removeEventListener("abort", this.abortListener);
    if (error) this.reject(error);
    else this.resolve(response as ServiceResponse);
  }

  /** Why no task answered, as the most specific error class. */
  private unavailable(): ServiceUnavailableError {
    const { core } = this;
    const name = core.name;
    const reasons = this.reasons ?? [];
    if (core.pool.size === 0) {
      const dns = core.resolver?.status();
      if (dns?.lastError)
        return new DnsUnavailableError(
          `no ${name} task known: DNS lookup failed (${dns.lastError})`,
          dns.lastError,
        );
      if (core.resolver?.answered) return new NoTargetsError(`no ${name} task registered in DNS`);
      return new DeadlineExceededError(
        `no ${name} task known: DNS gave no answer within the deadline of ${this.deadlineMs} ms`,
        0,
        reasons,
      );
    }
    const elapsed = core.o.now() - this.started;
    const tries = `${this.tries} ${this.tries === 1 ? "try" : "tries"} in ${elapsed} ms: ${reasons.join("; ")}`;
    if (this.deadlineHit)
      return new DeadlineExceededError(
        `no ${name} task answered within the deadline of ${this.deadlineMs} ms (${tries})`,
        this.tries,
        reasons,
      );
    if (core.pool.allEjected())
      return new AllTargetsEjectedError(
        `no ${name} task answered, every one is ejected (${tries})`,
        this.tries,
        reasons,
      );
    return new AllTriesFailedError(`no ${name} task answered (${tries})`, this.tries, reasons);
  }
}

export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const o = resolveOptions(options);
  const base = new URL(o.url);
  const name = base.hostname.replace(/^\[|\]$/g, "");
  const defaultPort = base.port === "" ? 80 : Number(base.port);
  const basePath = base.pathname.replace(/\/$/, "");
  const servers = o.mode === "proxy" ? [] : (o.dnsServers ?? systemDnsServers());
  // The service's name, not the task's address: what a virtual host or a proxy routes on.
  const defaultHeaders: Record<string, string> = Object.freeze({ host: base.host });

  const counters = {
    requests: 0,
    tries: 0,
    retries: 0,
    failures: 0,
    aborted: 0,
    staleRequests: 0,
    dnsQueries: 0,
    dnsRefreshes: 0,
    dnsFailures: 0,
    dnsTruncated: 0,
  };
  const pool = new TargetPool({
    policy: o.ejection,
    eject: o.mode === "dns",
    busySlack: o.busySlack,
    maxSocketsPerTarget: o.maxSocketsPerTarget,
    connectTimeoutMs: o.connectTimeoutMs,
    log: o.log,
    now: o.now,
    random: o.random,
  });
  let resolver: TargetResolver | undefined;
  if (o.mode === "proxy") {
    pool.update([{ host: name, port: defaultPort }]);
  } else {
    resolver = new TargetResolver({
      hostname: name,
      defaultPort,
      recordType: o.recordType,
      servers,
      ttlMinSeconds: o.ttlMinSeconds,
      ttlMaxSeconds: o.ttlMaxSeconds,
      refreshAt: o.refreshAt,
      dnsTimeoutMs: o.dnsTimeoutMs,
      limits: { maxTargets: o.maxTargets, maxLookupsInFlight: o.maxDnsLookupsInFlight },
      onTargets: (targets) => pool.update(targets),
      log: o.log,
      counters,
      now: o.now,
    });
    resolver.start();
  }
  const core: Core = { o, name, pool, resolver, distinctTargets: o.mode === "dns", counters, closed: false };

  function request(path: string, ro: RequestOptions = {}): Promise<ServiceResponse> {
    return new Promise((resolve, reject) => {
      const method = ro.method === undefined ? "GET" : ro.method.toUpperCase();
      const deadlineMs = ro.deadlineMs ?? o.deadlineMs;
      if (
        ro.deadlineMs !== undefined &&
        !(Number.isInteger(deadlineMs) && deadlineMs >= 1 && deadlineMs <= OPTION_LIMITS.deadlineMs.max)
      ) {
        throw new InvalidOptionError("deadlineMs", describeRange(OPTION_LIMITS.deadlineMs), ro.deadlineMs);
      }
      counters.requests += 1;
      if (resolver?.stale) counters.staleRequests += 1;
      const dispatch: Dispatcher.DispatchOptions = {
        path:
          basePath === "" && path.startsWith("/")
            ? path
            : basePath + (path.startsWith("/") ? path : `/${path}`),
        method,
        headers: ro.headers === undefined ? defaultHeaders : { ...ro.headers, host: base.host },
        body: ro.body,
      };
      new Call(
        core,
        dispatch,
        IDEMPOTENT_METHODS.has(method),
        o.now(),
        deadlineMs,
        ro.signal,
        resolve,
        reject,
      ).begin();
    });
  }

  return {
    request,
    ready: async (waitMs = o.deadlineMs) => resolver?.ready(waitMs),
    metrics: () => ({
      ...counters,
      ejections: pool.ejections,
      discovery: {
        name,
        mode: o.mode,
        recordType: o.recordType,
        dnsServers: servers.map(formatDnsServer),
        targets: pool.size,
        ...(resolver?.status() ?? { lastAnswerAt: null, ttlSeconds: null, lastError: null }),
      },
      targets: pool.metrics(),
    }),
    close: async () => {
      core.closed = true;
      resolver?.close();
      await pool.close();
    },
  };
}
