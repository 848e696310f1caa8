// createTargetSet: the discovery client without HTTP. The same DNS cache (TTL-clamped, background
// refresh, SRV weights and priorities), balancer and outlier ejection, handed to a caller that
// makes its own connections: a TCP forwarder, a database driver, a gRPC channel. The caller leases a
// target, reports how the connection went, and releases the lease when the connection ends.
import net from "node:net";
import { systemDnsServers, formatDnsServer, type DnsServer } from "./dns-servers";
import { InvalidOptionError } from "./errors";
import type { Logger } from "./logger";
import { pickTarget, type Candidate, type Rotation } from "./balancer";
import {
  CONNECTION_OPTION_NAMES,
  OPTION_LIMITS,
  RECORD_TYPES,
  describeRange,
  pickOptions,
  resolveOptions,
  type ConnectionOptionName,
  type ServiceClientOptions,
} from "./options";
import { HEALTHY, isEjected, recordFailure, recordSuccess, type OutlierState } from "./outlier";
import { targetKey, type RecordType, type Target } from "./records";
import { TargetResolver, type DnsCounters, type ResolverStatus } from "./resolver";

/**
 * The client's DNS, balancing and ejection options (the rows of scope "connections" in options.ts),
 * and what to resolve instead of a URL.
 */
export interface TargetSetOptions extends Pick<
  ServiceClientOptions,
  ConnectionOptionName | "dnsServers" | "log" | "now" | "random"
> {
  /** DNS name of the service, e.g. vault.internal; an IP address is one fixed target (port required). */
  name: string;
  /** Default "SRV": the port comes from each record. A and AAAA take `port`. */
  recordType?: RecordType;
  /** The port for A/AAAA records or an IP address; unused with SRV. */
  port?: number;
}

/** One connection's claim on a target. Exactly one of failed() or release() ends it. */
export interface TargetLease {
  readonly target: Target;
  /** host:port ([ipv6]:port), the key of metrics().targets. */
  readonly key: string;
  /** The connection is up: the target's failure streak (and ejection back-off) is cleared. The lease stays open. */
  succeeded(): void;
  /** The connection failed (refused, timed out, reset before use): counts towards ejecting the target; ends the lease. */
  failed(reason: string): void;
  /** The connection ended without blame on the target (closed, or the caller gave up); ends the lease. */
  release(): void;
}

/** One target's counters: the fields of the HTTP client's TargetMetrics, where `requests` are leases. */
export interface TargetLeaseMetrics {
  /** Leases handed out. */
  requests: number;
  failures: number;
  /** Leases open now. */
  outstanding: number;
  ejected: boolean;
  ejections: number;
  consecutiveFailures: number;
}

export interface TargetSetMetrics extends DnsCounters {
  /** Leases handed out (connection attempts). */
  leases: number;
  /** Leases that ended in failed(). */
  failures: number;
  ejections: number;
  discovery: ResolverStatus & { name: string; recordType: RecordType; dnsServers: string[]; targets: number };
  targets: Record<string, TargetLeaseMetrics>;
}

export interface TargetSet {
  /**
   * A target for a new connection, never one whose key is in `exclude` (the ones a retry already
   * tried); undefined when none is left. Ejected targets are a last resort.
   */
  acquire(exclude?: readonly string[]): TargetLease | undefined;
  /** Targets in the current record set. */
  readonly size: number;
  /** Resolves once the first DNS lookup finished (or after waitMs). */
  ready(waitMs?: number): Promise<void>;
  metrics(): TargetSetMetrics;
  /** Stops the DNS refreshes; open leases may still be ended. */
  close(): void;
}

interface State extends Candidate {
  readonly key: string;
  target: Target;
  outstanding: number;
  leases: number;
  failures: number;
  ejectionsTotal: number;
  outlier: OutlierState;
  removed: boolean;
}

/** A host name (letters, digits, hyphens; underscores too, as Cloud Map instance names carry them) or an IP. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function createTargetSet(options: TargetSetOptions): TargetSet {
  if (typeof options !== "object" || options === null)
    throw new InvalidOptionError("options", "an object with at least name", options);
  const { name } = options;
  if (typeof name !== "string" || (net.isIP(name) === 0 && !HOST_NAME.test(name)))
    throw new InvalidOptionError("name", "a DNS name such as vault.internal, or an IP address", name);
  const recordType = options.recordType ?? "SRV";
  if (!RECORD_TYPES.includes(recordType))
    throw new InvalidOptionError("recordType", `one of ${RECORD_TYPES.join(", ")}`, recordType);
  const portNeeded = recordType !== "SRV" || net.isIP(name) !== 0;
  if (
    (portNeeded || options.port !== undefined) &&
    !(Number.isInteger(options.port) && (options.port as number) >= 1 && (options.port as number) <= 65535)
  )
    throw new InvalidOptionError(
      "port",
      `an integer from 1 to 65535${portNeeded ? " (required with A, AAAA or an IP address)" : ""}`,
      options.port,
    );
  // The shared options are checked by the client's own rules (a placeholder URL stands for `name`).
  const o = resolveOptions({
    url: "http://target-set.invalid/",
    ...pickOptions(options, CONNECTION_OPTION_NAMES),
    dnsServers: options.dnsServers,
    log: options.log,
    now: options.now,
    random: options.random,
  });
  const servers: readonly DnsServer[] = o.dnsServers ?? systemDnsServers();
  const log: Logger = o.log;

  const byKey = new Map<string, State>();
  let list: State[] = [];
  const rotation: Rotation = { cursor: 0 };
  const counters = { leases: 0, failures: 0, ejections: 0 };
  const dns: DnsCounters = { dnsQueries: 0, dnsRefreshes: 0, dnsFailures: 0, dnsTruncated: 0 };

  function update(next: readonly Target[]): void {
    const wanted = new Map(next.map((t) => [targetKey(t), t]));
    for (const [key, state] of byKey) {
      if (wanted.has(key)) continue;
      byKey.delete(key);
      state.removed = true; // open leases end normally; no new ones
    }
    for (const [key, target] of wanted) {
      const known = byKey.get(key);
      if (known) {
        known.target = target;
        known.priority = target.priority;
        known.weight = target.weight;
        continue;
      }
      byKey.set(key, {
        key,
        target,
        priority: target.priority,
        weight: target.weight,
        eligible: false,
        outstanding: 0,
        leases: 0,
        failures: 0,
        ejectionsTotal: 0,
        outlier: HEALTHY,
        removed: false,
      });
    }
    list = [...byKey.values()];
  }

  const resolver = new TargetResolver({
    hostname: name,
    defaultPort: options.port ?? 0,
    recordType,
    servers,
    ttlMinSeconds: o.ttlMinSeconds,
    ttlMaxSeconds: o.ttlMaxSeconds,
    refreshAt: o.refreshAt,
    dnsTimeoutMs: o.dnsTimeoutMs,
    limits: { maxTargets: o.maxTargets, maxLookupsInFlight: o.maxDnsLookupsInFlight },
    onTargets: update,
    log,
    counters: dns,
    now: o.now,
  });
  resolver.start();

  function fail(state: State, reason: string): void {
    state.failures += 1;
    state.debt = 0; // a failing target is owed no turns
    counters.failures += 1;
    if (state.removed) return;
    const now = o.now();
    let ejectedNow = 0;
    for (const s of list) if (s !== state && isEjected(s.outlier, now)) ejectedNow += 1;
    const result = recordFailure(state.outlier, o.ejection, {
      now,
      total: list.length,
      ejectedNow,
      random: o.random,
    });
    state.outlier = result.state;
    if (!result.ejected) return;
    state.ejectionsTotal += 1;
    counters.ejections += 1;
    log(
      "target ejected",
      {
        name,
        target: state.key,
        forMs: result.state.ejectedUntil - now,
        consecutiveFailures: result.state.consecutiveFailures,
        reason,
      },
      "warn",
    );
  }

  function lease(state: State): TargetLease {
    let open = true;
    const end = (): boolean => {
      if (!open) return false;
      open = false;
      state.outstanding -= 1;
      return true;
    };
    state.outstanding += 1;
    state.leases += 1;
    counters.leases += 1;
    return {
      target: state.target,
      key: state.key,
      succeeded: () => {
        if (open && state.outlier !== HEALTHY) state.outlier = recordSuccess();
      },
      failed: (reason) => {
        if (end()) fail(state, reason);
      },
      release: () => void end(),
    };
  }

  function pick(exclude: readonly string[] | undefined): State | undefined {
    const now = o.now();
    const allowed = (s: State) => exclude === undefined || !exclude.includes(s.key);
    for (const s of list) s.eligible = allowed(s) && !isEjected(s.outlier, now);
    let index = pickTarget(list, rotation, o.busySlack, o.random);
    if (index < 0) {
      for (const s of list) s.eligible = allowed(s);
      index = pickTarget(list, rotation, o.busySlack, o.random);
    }
    return index < 0 ? undefined : list[index];
  }

  return {
    acquire(exclude) {
      const state = pick(exclude);
      return state && lease(state);
    },
    get size() {
      return list.length;
    },
    ready: async (waitMs = 3000) => {
      if (!(Number.isInteger(waitMs) && waitMs >= 0 && waitMs <= OPTION_LIMITS.deadlineMs.max))
        throw new InvalidOptionError(
          "waitMs",
          describeRange({ ...OPTION_LIMITS.deadlineMs, min: 0 }),
          waitMs,
        );
      await resolver.ready(waitMs);
    },
    metrics() {
      const now = o.now();
      const targets: Record<string, TargetLeaseMetrics> = {};
      for (const s of list)
        targets[s.key] = {
          requests: s.leases,
          failures: s.failures,
          outstanding: s.outstanding,
          ejected: isEjected(s.outlier, now),
          ejections: s.ejectionsTotal,
          consecutiveFailures: s.outlier.consecutiveFailures,
        };
      return {
        ...counters,
        ...dns,
        discovery: {
          name,
          recordType,
          dnsServers: servers.map(formatDnsServer),
          targets: list.length,
          ...resolver.status(),
        },
        targets,
      };
    },
    close: () => resolver.close(),
  };
}
