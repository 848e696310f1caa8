import type { EngineEvent, OpMap, OpType } from "@pulumi/pulumi/automation";

/** `urn:pulumi:dev::proj::awsx:ecs:FargateService$aws:ecs/service:Service::hello` → type and name. */
export function describeUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts.length >= 4 ? parts.slice(3).join("::") : urn;
  const typeChain = parts.length >= 3 ? parts[2] : "";
  const type = typeChain.split("$").pop() ?? typeChain;
  return { type, name };
}

const VERB: Partial<Record<OpType, [present: string, past: string]>> = {
  create: ["creating", "created"],
  update: ["updating", "updated"],
  delete: ["deleting", "deleted"],
  replace: ["replacing", "replaced"],
  "create-replacement": ["creating replacement", "created replacement"],
  "delete-replaced": ["deleting replaced", "deleted replaced"],
  read: ["reading", "read"],
  "read-replacement": ["reading replacement", "read replacement"],
  refresh: ["refreshing", "refreshed"],
  import: ["importing", "imported"],
  "import-replacement": ["importing replacement", "imported replacement"],
  discard: ["discarding", "discarded"],
  "discard-replaced": ["discarding replaced", "discarded replaced"],
  "remove-pending-replace": ["removing pending replace", "removed pending replace"],
};

/** Ops that change nothing; they count towards done but are not worth a line of their own. */
const QUIET_OPS: ReadonlySet<OpType> = new Set<OpType>(["same"]);

interface InFlight {
  op: OpType;
  type: string;
  name: string;
  startedAt: number;
}

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

/**
 * Pure model of a running Pulumi operation: feed it engine events, get the lines worth keeping
 * (a resource finished or failed, warnings, errors) and, on demand, a one-line status
 * (done/total, what is in flight now, elapsed). Time comes from the events' own timestamps and
 * from the caller, so a recorded stream renders the same every time.
 */
export class ProgressTracker {
  private readonly seen = new Set<string>();
  private readonly done = new Set<string>();
  private readonly failed = new Set<string>();
  private readonly inFlight = new Map<string, InFlight>();
  private startedAt: number | undefined;
  private finished = false;

  /** @param expectedTotal resources the preview announced, when known; otherwise the total grows as the engine plans. */
  constructor(private readonly expectedTotal?: number) {}

  get counts(): { done: number; total: number; failed: number; inFlight: number } {
    return {
      done: this.done.size,
      total: Math.max(this.expectedTotal ?? 0, this.seen.size),
      failed: this.failed.size,
      inFlight: this.inFlight.size,
    };
  }

  /** Applies one event; returns the permanent lines it produces (possibly none). */
  apply(event: EngineEvent): string[] {
    const at = event.timestamp * 1000;
    this.startedAt ??= at;
    const stamp = `[${formatSeconds((at - this.startedAt) / 1000)}]`;

    if (event.preludeEvent) {
      const keys = Object.keys(event.preludeEvent.config).length;
      return [`${stamp} started with ${keys} config value${keys === 1 ? "" : "s"}`];
    }
    if (event.resourcePreEvent) {
      const { op, urn } = event.resourcePreEvent.metadata;
      this.seen.add(urn);
      if (event.resourcePreEvent.planning) {
        // A preview step: nothing runs, so it is a plan line rather than an operation in flight.
        this.done.add(urn);
        if (QUIET_OPS.has(op)) return [];
        const { type, name } = describeUrn(urn);
        return [`${stamp} would ${op} ${type} ${name}`];
      }
      if (!QUIET_OPS.has(op)) this.inFlight.set(urn, { op, ...describeUrn(urn), startedAt: at });
      return [];
    }
    if (event.resOutputsEvent) {
      const { op, urn } = event.resOutputsEvent.metadata;
      this.seen.add(urn);
      if (event.resOutputsEvent.planning) {
        this.done.add(urn);
        return [];
      }
      this.done.add(urn);
      const running = this.inFlight.get(urn);
      this.inFlight.delete(urn);
      if (QUIET_OPS.has(op)) return [];
      const { type, name } = describeUrn(urn);
      const took = running ? ` (${formatSeconds((at - running.startedAt) / 1000)})` : "";
      return [`${stamp} ${this.fraction()} ${VERB[op]?.[1] ?? op} ${type} ${name}${took}`];
    }
    if (event.resOpFailedEvent) {
      const { op, urn } = event.resOpFailedEvent.metadata;
      this.seen.add(urn);
      this.failed.add(urn);
      this.inFlight.delete(urn);
      const { type, name } = describeUrn(urn);
      return [`${stamp} FAILED ${VERB[op]?.[0] ?? op} ${type} ${name}`];
    }
    if (event.diagnosticEvent) {
      const { severity, message, urn, ephemeral } = event.diagnosticEvent;
      if (ephemeral || (severity !== "error" && severity !== "warning")) return [];
      const where = urn ? ` ${describeUrn(urn).name}:` : "";
      const text = stripColor(message).trim();
      return text ? [`${stamp} ${severity}${where} ${text.replace(/\n+/g, "\n    ")}`] : [];
    }
    if (event.summaryEvent) {
      this.finished = true;
      const { durationSeconds, resourceChanges } = event.summaryEvent;
      const failed = this.failed.size ? `, ${this.failed.size} failed` : "";
      return [
        `${stamp} finished in ${formatSeconds(durationSeconds)}: ${formatChanges(resourceChanges)}${failed}`,
      ];
    }
    return [];
  }

  /** The live status line: `12/30 resources · creating Service hello (41s), +2 more · 3m05s`. */
  status(nowMs: number): string {
    const elapsed = this.startedAt === undefined ? 0 : (nowMs - this.startedAt) / 1000;
    const current = [...this.inFlight.values()].sort((a, b) => a.startedAt - b.startedAt);
    let doing = this.finished ? "finished" : this.seen.size === 0 ? "planning" : "waiting for the engine";
    if (current.length > 0) {
      const first = current[0];
      doing = `${VERB[first.op]?.[0] ?? first.op} ${first.type} ${first.name} (${formatSeconds((nowMs - first.startedAt) / 1000)})`;
      if (current.length > 1) doing += `, +${current.length - 1} more`;
    }
    const failed = this.failed.size ? ` · ${this.failed.size} failed` : "";
    return `${this.fraction()} resources${failed} · ${doing} · ${formatSeconds(elapsed)}`;
  }

  private fraction(): string {
    const { done, total } = this.counts;
    return `${done}/${total}`;
  }
}

const CHANGE_ORDER: ReadonlyArray<[OpType, string]> = [
  ["create", "created"],
  ["update", "updated"],
  ["replace", "replaced"],
  ["delete", "deleted"],
  ["import", "imported"],
  ["read", "read"],
  ["refresh", "refreshed"],
  ["same", "unchanged"],
];

/** `3 created, 1 updated, 20 unchanged`; "no changes" for an empty map. */
export function formatChanges(
  changes: OpMap | undefined,
  labels: ReadonlyArray<[OpType, string]> = CHANGE_ORDER,
): string {
  const parts: string[] = [];
  const known = new Set(labels.map(([op]) => op));
  for (const [op, label] of labels) {
    const n = changes?.[op];
    if (n) parts.push(`${n} ${label}`);
  }
  for (const [op, n] of Object.entries(changes ?? {})) {
    if (n && !known.has(op as OpType)) parts.push(`${n} ${op}`);
  }
  return parts.length ? parts.join(", ") : "no changes";
}

/** Pulumi's own color tags (`<{%reset%}>`) and ANSI escapes, which the driver asks not to get but may. */
export function stripColor(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*m/g, "");
}

/** Throttle for the live line: a TTY redraws often, plain CI logs get a heartbeat now and then. */
export function statusDue(lastShownMs: number | undefined, nowMs: number, intervalMs: number): boolean {
  return lastShownMs === undefined || nowMs - lastShownMs >= intervalMs;
}
