/**
 * Who may reach whom, derived from the security-group rules alone. Between two groups,
 * traffic passes only when the source's egress and the destination's ingress both allow it;
 * a rule on one side only is reported as a one-sided flow (nothing passes).
 */
import { RecordedResource } from "./program";
import { displayText } from "./display-text";
import { RESOURCE_TYPES as T } from "../policy/resource-types";

/** A security group (by the name of its resource) or a CIDR. */
export type FlowEnd = { readonly group: string } | { readonly cidr: string };

export interface Flow {
  readonly from: FlowEnd;
  readonly to: FlowEnd;
  readonly protocol: string;
  /** "3000", "1024-2048", or "all" for protocol -1. */
  readonly ports: string;
  /** Names of the rule resources that allow it. */
  readonly rules: readonly string[];
  /** False when only one of two groups allows it: such traffic is dropped. */
  readonly complete: boolean;
  /** Rule descriptions, for labels. */
  readonly descriptions: readonly string[];
}

export function endLabel(end: FlowEnd): string {
  return "group" in end ? end.group : end.cidr;
}

function portsOf(i: Record<string, unknown>): string {
  if (i.ipProtocol === "-1") return "all";
  return i.fromPort === i.toPort ? String(i.fromPort) : `${String(i.fromPort)}-${String(i.toPort)}`;
}

/**
 * @param groupOfId maps a security-group id as rules reference it to the group's resource name.
 */
export function deriveFlows(
  resources: readonly RecordedResource[],
  groupOfId: (id: string) => string | undefined,
): Flow[] {
  const pending = new Map<
    string,
    {
      from: FlowEnd;
      to: FlowEnd;
      protocol: string;
      ports: string;
      ingress?: RecordedResource;
      egress?: RecordedResource;
    }
  >();
  const flows: Flow[] = [];
  const groupEnd = (id: unknown): FlowEnd => ({ group: groupOfId(String(id)) ?? String(id) });

  for (const r of resources) {
    if (r.type !== T.ingressRule && r.type !== T.egressRule) continue;
    const i = r.inputs;
    const own = groupEnd(i.securityGroupId);
    const protocol = i.ipProtocol === "-1" ? "all" : String(i.ipProtocol);
    const ports = portsOf(i);
    const cidr = (i.cidrIpv4 ?? i.cidrIpv6 ?? i.prefixListId) as string | undefined;
    if (i.referencedSecurityGroupId === undefined) {
      const peer: FlowEnd = { cidr: cidr ?? "?" };
      const [from, to] = r.type === T.ingressRule ? [peer, own] : [own, peer];
      flows.push({
        from,
        to,
        protocol,
        ports,
        rules: [r.name],
        complete: true,
        descriptions: [displayText(i.description)],
      });
      continue;
    }
    const peer = groupEnd(i.referencedSecurityGroupId);
    const [from, to] = r.type === T.ingressRule ? [peer, own] : [own, peer];
    const key = `${endLabel(from)}>${endLabel(to)}>${protocol}>${ports}`;
    const entry = pending.get(key) ?? { from, to, protocol, ports };
    if (r.type === T.ingressRule) entry.ingress = r;
    else entry.egress = r;
    pending.set(key, entry);
  }
  for (const e of pending.values()) {
    const rules = [e.egress, e.ingress].filter((r): r is RecordedResource => r !== undefined);
    flows.push({
      from: e.from,
      to: e.to,
      protocol: e.protocol,
      ports: e.ports,
      rules: rules.map((r) => r.name),
      complete: e.ingress !== undefined && e.egress !== undefined,
      descriptions: [...new Set(rules.map((r) => displayText(r.inputs.description)))],
    });
  }
  return flows.sort((a, b) =>
    `${endLabel(a.from)} ${endLabel(a.to)} ${a.ports}`.localeCompare(
      `${endLabel(b.from)} ${endLabel(b.to)} ${b.ports}`,
    ),
  );
}
