// Keeps the target set of one service fresh: cached for the record TTL (clamped), refreshed in
// the background, one query in flight at most, the last good set kept when DNS fails.
import net from "node:net";
import type { DnsServer } from "./dns-servers";
import { lookupTargets, type LookupLimits } from "./lookup";
import { clampTtl, refreshDelayMs, targetKey, type RecordType, type Target } from "./records";
import type { Logger } from "./logger";

export interface DnsCounters {
  dnsQueries: number;
  dnsRefreshes: number;
  dnsFailures: number;
  dnsTruncated: number;
}

export interface ResolverOptions {
  hostname: string;
  defaultPort: number;
  recordType: RecordType;
  servers: readonly DnsServer[];
  ttlMinSeconds: number;
  ttlMaxSeconds: number;
  /** Refresh after this fraction of the clamped TTL (0.5..1). */
  refreshAt: number;
  dnsTimeoutMs: number;
  /** Bounds on one answer's targets and follow-up queries; default DEFAULT_LOOKUP_LIMITS. */
  limits?: LookupLimits;
  onTargets: (targets: Target[]) => void;
  log: Logger;
  counters: DnsCounters;
  /** Clock for lastAnswerAt; default Date.now. */
  now?: () => number;
}

export interface ResolverStatus {
  lastAnswerAt: string | null;
  ttlSeconds: number | null;
  lastError: string | null;
}

export class TargetResolver {
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** True once a lookup gave an answer (records or an authoritative "none"). */
  answered = false;
  private firstSettled: Promise<void>;
  private settleFirst: () => void = () => {};
  private lastAnswerAt: number | null = null;
  private ttlSeconds: number | null = null;
  private lastError: string | null = null;
  private currentKeys = "";

  constructor(private readonly opts: ResolverOptions) {
    this.firstSettled = new Promise((resolve) => (this.settleFirst = resolve));
  }

  start(): void {
    if (net.isIP(this.opts.hostname) !== 0) {
      // An address needs no DNS: one fixed target.
      this.answered = true;
      this.opts.onTargets([{ host: this.opts.hostname, port: this.opts.defaultPort }]);
      this.settleFirst();
      return;
    }
    void this.refresh();
  }

  /** Waits (at most waitMs) for the first lookup to finish, so start-up requests do not 503. */
  async ready(waitMs: number): Promise<void> {
    if (this.answered || this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.firstSettled,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
    ]);
    clearTimeout(timer);
  }

  /** Runs a lookup now, or joins the one already in flight. */
  refresh(): Promise<void> {
    if (!this.inflight) this.inflight = this.lookup().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** The targets in use come from an earlier answer: the last refresh failed (serve-stale). */
  get stale(): boolean {
    return this.lastAnswerAt !== null && this.lastError !== null;
  }

  status(): ResolverStatus {
    return {
      lastAnswerAt: this.lastAnswerAt === null ? null : new Date(this.lastAnswerAt).toISOString(),
      ttlSeconds: this.ttlSeconds,
      lastError: this.lastError,
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.settleFirst();
  }

  private async lookup(): Promise<void> {
    const { opts } = this;
    clearTimeout(this.timer);
    let nextMs: number;
    try {
      const result = await lookupTargets(
        opts.servers,
        opts.hostname,
        opts.recordType,
        opts.defaultPort,
        {
          timeoutMs: opts.dnsTimeoutMs,
          onQuery: () => (opts.counters.dnsQueries += 1),
          onTruncated: () => (opts.counters.dnsTruncated += 1),
        },
        opts.limits,
      );
      if (this.closed) return;
      opts.counters.dnsRefreshes += 1;
      this.answered = true;
      this.lastAnswerAt = (opts.now ?? Date.now)();
      this.lastError = null;
      this.ttlSeconds = clampTtl(result.ttlSeconds, opts.ttlMinSeconds, opts.ttlMaxSeconds);
      this.announce(result.targets, result.emptyReason);
      nextMs = refreshDelayMs(result.ttlSeconds, opts.ttlMinSeconds, opts.ttlMaxSeconds, opts.refreshAt);
    } catch (err) {
      if (this.closed) return;
      opts.counters.dnsFailures += 1;
      this.lastError = (err as Error).message;
      // Retry after the last good TTL (or the minimum): still at most one query per TTL.
      nextMs = Math.round((this.ttlSeconds ?? opts.ttlMinSeconds) * 1000 * opts.refreshAt) || 1000;
      opts.log(
        "DNS lookup failed; keeping the last good targets",
        { name: opts.hostname, error: this.lastError, retryInMs: nextMs },
        "warn",
      );
    } finally {
      this.settleFirst();
    }
    if (this.closed) return;
    this.timer = setTimeout(() => void this.refresh(), nextMs);
    this.timer.unref();
  }

  private announce(targets: Target[], emptyReason: string | undefined): void {
    const keys = targets.map(targetKey).sort().join(",");
    if (keys !== this.currentKeys) {
      this.opts.log("targets changed", {
        name: this.opts.hostname,
        targets: keys === "" ? [] : keys.split(","),
        ...(emptyReason ? { reason: emptyReason } : {}),
      });
      this.currentKeys = keys;
    }
    this.opts.onTargets(targets);
  }
}
