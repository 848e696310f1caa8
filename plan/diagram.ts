/**
 * A Mermaid flowchart of what a stack builds, drawn from the registered resources: solid
 * edges are the flows the security groups allow, dotted ones are control-plane links
 * (registrations in Cloud Map, API calls, secrets and images fetched at task start).
 */
import { endLabel, Flow, FlowEnd } from "./flows";
import { mockId, RecordedResource } from "./program";
import { redactInputs } from "./redact";
import { displayText } from "./display-text";
import { RESOURCE_TYPES as T } from "../policy/resource-types";

type Inputs = Record<string, unknown>;

interface Container {
  name?: string;
  image?: string;
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
}

/** Mermaid ids: letters, digits and _ only, with a prefix so no id is a keyword (`end`). */
function nodeId(prefix: string, name: string): string {
  return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Text inside a quoted Mermaid label: no double quotes. */
function label(text: string): string {
  return `"${text.replace(/"/g, "'")}"`;
}

function obj(value: unknown): Inputs {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Inputs) : {};
}

function containersOf(taskDefinition: RecordedResource | undefined): Container[] {
  const raw = taskDefinition?.inputs.containerDefinitions;
  if (typeof raw !== "string") return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) ? (parsed as Container[]) : [];
  } catch {
    return [];
  }
}

class Diagram {
  private readonly lines: string[] = [];
  private readonly inside = new Map<string, string>();
  private readonly outside = new Map<string, string>();
  private readonly edges: string[] = [];
  private readonly seenEdges = new Set<string>();

  node(id: string, shape: string, inVpc: boolean): string {
    (inVpc ? this.inside : this.outside).set(id, shape);
    return id;
  }

  edge(from: string, to: string, text: string, dotted: boolean): void {
    const key = `${from}>${to}>${text}>${dotted}`;
    if (this.seenEdges.has(key)) return;
    this.seenEdges.add(key);
    this.edges.push(`  ${from} ${dotted ? "-.->" : "-->"}|${label(text)}| ${to}`);
  }

  render(vpcTitle: string): string {
    this.lines.push("flowchart LR");
    for (const [id, shape] of this.outside) this.lines.push(`  ${id}${shape}`);
    this.lines.push(`  subgraph vpc[${label(vpcTitle)}]`);
    for (const [id, shape] of this.inside) this.lines.push(`    ${id}${shape}`);
    this.lines.push("  end");
    return [...this.lines, ...this.edges].join("\n");
  }
}

/** The Mermaid source of a stack's architecture. */
export function architectureDiagram(
  plan: { flows: readonly Flow[] },
  recorded: readonly RecordedResource[],
): string {
  const resources = recorded.map((r) => ({ ...r, inputs: redactInputs(r.type, r.inputs) }));
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const arnOf = (r: RecordedResource) => String(r.state.arn);
  const byArn = new Map(resources.map((r) => [arnOf(r), r]));
  const groupById = new Map(ofType(T.securityGroup).map((g) => [mockId(g.name), g]));
  const siblings = (r: RecordedResource, type: string) =>
    resources.filter((x) => x.type === type && x.parentUrn !== undefined && x.parentUrn === r.parentUrn);
  const d = new Diagram();

  const vpc = ofType(T.vpc)[0];
  const vpcCidr = vpc ? String(vpc.inputs.cidrBlock) : undefined;
  const vpcTitle = vpc
    ? `VPC ${String(vpc.inputs.cidrBlock)} · ${String(vpc.inputs.numberOfAvailabilityZones)} AZs · NAT ${String(obj(vpc.inputs.natGateways).strategy)}`
    : "VPC";

  // ---- security groups as nodes, described by what their component runs ----
  const groupNode = new Map<string, string>();
  for (const group of ofType(T.securityGroup)) {
    const short = group.name.replace(/-sg$/, "");
    const ecs = siblings(group, T.ecsService)[0];
    let text: string;
    if (ecs) {
      const td = siblings(group, T.taskDefinition)[0];
      const scaling = siblings(group, T.scalingTarget)[0];
      const count = scaling
        ? `${String(scaling.inputs.minCapacity)}-${String(scaling.inputs.maxCapacity)} tasks`
        : `×${String(ecs.inputs.desiredCount)}`;
      const sc =
        obj(ecs.inputs.serviceConnectConfiguration).enabled === true ? "<br/>+ Service Connect proxy" : "";
      text = `${short}<br/>Fargate ${count} · ${String(td?.inputs.cpu)} cpu / ${String(td?.inputs.memory)} MiB${sc}`;
    } else if (siblings(group, T.alb).length > 0) {
      const ports = siblings(group, T.listener)
        .map((l) => String(l.inputs.port))
        .join(", ");
      text = `ALB ${short}<br/>public subnets · listeners ${ports}`;
    } else if (siblings(group, T.vpcLink).length > 0) {
      text = `VPC Link<br/>private subnets`;
    } else if (siblings(group, T.endpoint).length > 0) {
      const services = siblings(group, T.endpoint).map((e) =>
        String(e.inputs.serviceName).split(".").slice(3).join("."),
      );
      text = `VPC endpoints<br/>${services.join(", ")}`;
    } else {
      text = `${short}<br/>${displayText(group.inputs.description)}`;
    }
    groupNode.set(group.name, d.node(nodeId("g", short), `[${label(text)}]`, true));
  }
  const nodeOfGroupId = (id: unknown) => {
    const group = groupById.get(String(id));
    return group ? groupNode.get(group.name) : undefined;
  };

  let internet: string | undefined;
  const internetNode = () => (internet ??= d.node("x_internet", `((${label("Internet")}))`, false));
  const cidrNode = (end: FlowEnd, asSource: boolean, description: string): string => {
    const cidr = endLabel(end);
    if (cidr === "0.0.0.0/0" && asSource) return internetNode();
    if (cidr === vpcCidr) return d.node("c_vpc", `[${label(`anything in the VPC<br/>${cidr}`)}]`, true);
    const id = nodeId(asSource ? "cin" : "cout", cidr);
    return d.node(id, `[${label(`${cidr}<br/>${description}`)}]`, false);
  };

  // ---- the app URLs containers call, to annotate the flow they travel on ----
  const ecsServices = ofType(T.ecsService);
  const nodeOfService = (svc: RecordedResource) =>
    nodeOfGroupId((obj(svc.inputs.networkConfiguration).securityGroups as unknown[] | undefined)?.[0]);
  const servedName = (svc: RecordedResource): string[] => {
    const names: string[] = [];
    const registry = byArn.get(String(obj(svc.inputs.serviceRegistries).registryArn));
    if (registry) names.push(String(registry.inputs.name));
    for (const s of (obj(svc.inputs.serviceConnectConfiguration).services as Inputs[] | undefined) ?? []) {
      for (const a of (s.clientAlias as Inputs[] | undefined) ?? []) names.push(String(a.dnsName));
    }
    return names;
  };
  const callNotes = new Map<string, string>();
  for (const svc of ecsServices) {
    const from = nodeOfService(svc);
    const td = resources.find((r) => r.type === T.taskDefinition && arnOf(r) === svc.inputs.taskDefinition);
    for (const c of containersOf(td)) {
      const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
      for (const value of Object.values(env)) {
        const url = /^https?:\/\/([a-z0-9.-]+):(\d+)\/?$/.exec(value);
        if (!url || !from) continue;
        const target = ecsServices.find((s) =>
          servedName(s).some((n) => url[1] === n || url[1].startsWith(`${n}.`)),
        );
        const to = target ? nodeOfService(target) : undefined;
        if (!to) continue;
        const how =
          env.DISCOVERY_MODE === "proxy" ? "through the Service Connect proxy" : "own DNS client (A/SRV)";
        callNotes.set(`${from}>${to}`, `${value} · ${how}`);
      }
    }
  }

  // ---- data plane: what the security groups allow ----
  const merged = new Map<string, { from: string; to: string; ports: string[]; complete: boolean }>();
  for (const f of plan.flows) {
    const from =
      "group" in f.from ? groupNode.get(f.from.group) : cidrNode(f.from, true, f.descriptions[0] ?? "");
    const to = "group" in f.to ? groupNode.get(f.to.group) : cidrNode(f.to, false, f.descriptions[0] ?? "");
    if (!from || !to) continue;
    const key = `${from}>${to}>${f.complete}`;
    const entry = merged.get(key) ?? { from, to, ports: [], complete: f.complete };
    entry.ports.push(f.protocol === "all" ? "all traffic" : `${f.protocol} ${f.ports}`);
    merged.set(key, entry);
  }
  for (const e of merged.values()) {
    const note = callNotes.get(`${e.from}>${e.to}`);
    const text = [
      e.ports.join(", "),
      ...(note ? [note] : []),
      ...(e.complete ? [] : ["one side only: dropped"]),
    ].join("<br/>");
    d.edge(e.from, e.to, text, !e.complete);
  }

  // ---- control plane ----
  const namespace = ofType(T.namespace)[0];
  const cloudMap = namespace
    ? d.node("x_cloudmap", `[(${label(`Cloud Map<br/>namespace ${String(namespace.inputs.name)}`)})]`, false)
    : undefined;
  for (const svc of ecsServices) {
    const node = nodeOfService(svc);
    if (!node || !cloudMap) continue;
    const registry = byArn.get(String(obj(svc.inputs.serviceRegistries).registryArn));
    if (registry) {
      const records = ((obj(registry.inputs.dnsConfig).dnsRecords as Inputs[] | undefined) ?? []).map((r) =>
        String(r.type),
      );
      d.edge(
        node,
        cloudMap,
        `ECS registers tasks: ${String(registry.inputs.name)} ${records.join(" + ")}`,
        true,
      );
    }
    const sc = obj(svc.inputs.serviceConnectConfiguration);
    if (sc.enabled === true) {
      const aliases = ((sc.services as Inputs[] | undefined) ?? []).flatMap((s) =>
        ((s.clientAlias as Inputs[] | undefined) ?? []).map((a) => `${String(a.dnsName)}:${String(a.port)}`),
      );
      d.edge(
        node,
        cloudMap,
        aliases.length > 0
          ? `Service Connect endpoint ${aliases.join(", ")} (API instances)`
          : "Service Connect client",
        true,
      );
    }
  }
  for (const policy of ofType(T.rolePolicy)) {
    const actions = JSON.stringify(policy.inputs.policy ?? "");
    const group = resources.find((g) => g.type === T.securityGroup && g.parentUrn === policy.parentUrn);
    const node = group ? groupNode.get(group.name) : undefined;
    if (node && cloudMap && actions.includes("servicediscovery:"))
      d.edge(node, cloudMap, "Cloud Map API over 443", true);
  }

  let secrets: string | undefined;
  let registry: string | undefined;
  for (const svc of ecsServices) {
    const node = nodeOfService(svc);
    const td = resources.find((r) => r.type === T.taskDefinition && arnOf(r) === svc.inputs.taskDefinition);
    if (!node) continue;
    const containers = containersOf(td);
    const secretCount = containers.reduce((n, c) => n + (c.secrets?.length ?? 0), 0);
    if (secretCount > 0) {
      secrets ??= d.node("x_secrets", `[(${label("Secrets Manager")})]`, false);
      d.edge(
        secrets,
        node,
        `${secretCount} secret${secretCount === 1 ? "" : "s"} injected at task start`,
        true,
      );
    }
    if (
      containers.some((c) => String(c.image).includes(".dkr.ecr.") && String(c.image).includes("@sha256:"))
    ) {
      registry ??= d.node("x_ecr", `[(${label("ECR")})]`, false);
      d.edge(registry, node, "image by digest", true);
    }
  }

  // ---- API Gateway front door ----
  for (const api of ofType(T.api)) {
    const stage = resources.find((r) => r.type === T.stage && r.inputs.apiId === mockId(api.name));
    const throttle = obj(stage?.inputs.defaultRouteSettings);
    const throttleText =
      throttle.throttlingRateLimit === undefined
        ? ""
        : `<br/>throttle ${displayText(throttle.throttlingRateLimit)} rps, burst ${displayText(throttle.throttlingBurstLimit)}`;
    const apiNode = d.node(
      nodeId("x", api.name),
      `[${label(`API Gateway HTTP API<br/>stage ${displayText(stage?.inputs.name, "?")}${throttleText}`)}]`,
      false,
    );
    d.edge(internetNode(), apiNode, "HTTPS 443", false);
    for (const integration of resources.filter(
      (r) => r.type === T.integration && r.inputs.apiId === mockId(api.name),
    )) {
      const link = resources.find(
        (r) => r.type === T.vpcLink && mockId(r.name) === integration.inputs.connectionId,
      );
      const linkNode = link
        ? nodeOfGroupId((link.inputs.securityGroupIds as unknown[] | undefined)?.[0])
        : undefined;
      if (linkNode)
        d.edge(
          apiNode,
          linkNode,
          `${String(integration.inputs.integrationType)} ${String(integration.inputs.integrationMethod)}`,
          false,
        );
      const target = byArn.get(String(integration.inputs.integrationUri));
      if (cloudMap && target)
        d.edge(apiNode, cloudMap, `finds ${String(target.inputs.name)} tasks (Cloud Map, SRV port)`, true);
    }
  }

  return d.render(vpcTitle);
}
