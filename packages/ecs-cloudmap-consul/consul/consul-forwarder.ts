/**
 * The forwarder sidecar (apps/forwarder) as plain data: for a task whose app must reach services
 * that consul-aws imported from Consul. Those get an SRV record only in Cloud Map, so an app that
 * resolves host names (a Vault agent, a database driver, curl) cannot use `<svc>.<namespace>`;
 * the forwarder listens on 127.0.0.1:<localPort> in the task and passes each connection on to an
 * instance it finds through SRV. The app gets the local address in its environment.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  ArgProblem,
  check,
  imageByDigest,
  integerIn,
  matches,
  parseIpv4Cidr,
  port,
} from "../shared/arg-checks";
import { APP_HEALTH_CHECK, APP_USER, ContainerSpec } from "../service/container-definition";
import { cloudMapDnsName, DNS_LABEL } from "../shared/naming";

/** One service the app reaches through the forwarder. */
export interface ConsulServiceArgs {
  /**
   * The service's name in Cloud Map (consul-aws's `inCloudMap` prefix included): the first DNS label.
   * @default required
   * @example "vault"
   */
  readonly name: string;
  /**
   * Port the forwarder listens on at 127.0.0.1 in the task (1-65535).
   * @default required
   * @example 8200
   */
  readonly localPort: number;
  /**
   * Port the service's instances listen on, for the task's egress rule (the forwarder takes each
   * instance's port from its SRV record).
   * @default required
   * @example 8200
   */
  readonly remotePort: number;
  /**
   * IPv4 CIDR of the network the instances run in, for the egress rule.
   * @default required
   * @example "10.50.0.0/16"
   */
  readonly remoteCidr: string;
  /**
   * Environment variable that gives the app the local address.
   * Default: `<NAME>_ADDR` (upper case, - as _), e.g. VAULT_ADDR.
   * @default `<NAME>_ADDR` (upper case, - as _), e.g. VAULT_ADDR
   */
  readonly envVar?: string;
  /**
   * Scheme put in front of the address, e.g. "https" for VAULT_ADDR=https://127.0.0.1:8200.
   * @default none (the variable holds 127.0.0.1:<localPort>)
   */
  readonly scheme?: string;
}

/** The forwarder container of a DiscoverableService. */
export interface ConsulForwarderArgs {
  /**
   * The forwarder image (apps/forwarder, built by AppImage), by digest.
   * @default required
   */
  readonly image: pulumi.Input<string>;
  /**
   * The services the app reaches through it (1-32).
   * @default required
   */
  readonly services: ConsulServiceArgs[];
  /**
   * Hard memory limit of the forwarder container, MiB (64-1024); the task's memory must hold it.
   * Default: 128.
   * @default 128
   */
  readonly memory?: number;
}

export const FORWARDER_CONTAINER = "consul-forwarder";
/** The forwarder's health and metrics port on 127.0.0.1 (its ADMIN_PORT). */
export const FORWARDER_ADMIN_PORT = 9901;
export const MAX_FORWARDED_SERVICES = 32;
const ENV_VAR = /^[A-Z_][A-Z0-9_]{0,63}$/;
const SCHEME = /^[a-z][a-z0-9+.-]{0,15}$/;

/** The variable a service's address goes in: envVar, or `<NAME>_ADDR`. */
export function addressVariable(service: Pick<ConsulServiceArgs, "name" | "envVar">): string {
  return service.envVar ?? `${service.name.toUpperCase().replace(/-/g, "_")}_ADDR`;
}

/** The app's environment: one variable per service, e.g. { VAULT_ADDR: "https://127.0.0.1:8200" }. */
export function forwardedAddresses(services: readonly ConsulServiceArgs[]): Record<string, string> {
  return Object.fromEntries(
    services.map((s) => [addressVariable(s), `${s.scheme ? `${s.scheme}://` : ""}127.0.0.1:${s.localPort}`]),
  );
}

/** The forwarder's FORWARDS variable: `<name>.<namespace>=<localPort>,...`. */
export function forwardsVariable(services: readonly ConsulServiceArgs[], namespaceName: string): string {
  return services.map((s) => `${cloudMapDnsName(s.name, namespaceName)}=${s.localPort}`).join(",");
}

/**
 * What is wrong with a forwarder's arguments (under `arg`); empty when nothing is. `taken` are the
 * app's own port and variables: the forwarder's ports and variables must not collide with them.
 */
export function consulForwarderArgProblems(
  arg: string,
  args: ConsulForwarderArgs,
  taken: { readonly containerPort: number; readonly environment: readonly string[] },
): ArgProblem[] {
  const problems: ArgProblem[] = [
    ...check(`${arg}.memory`, args.memory, integerIn(64, 1024)),
    ...check(`${arg}.image`, typeof args.image === "string" ? args.image : undefined, imageByDigest),
  ];
  const listed: unknown = args.services;
  if (!Array.isArray(listed) || listed.length < 1 || listed.length > MAX_FORWARDED_SERVICES) {
    problems.push({
      arg: `${arg}.services`,
      message: `must list 1 to ${MAX_FORWARDED_SERVICES} services`,
      value: Array.isArray(listed) ? listed.length : listed,
    });
    return problems;
  }
  const services = args.services;
  const ports = new Map<number, string>([
    [taken.containerPort, "the app's containerPort"],
    [FORWARDER_ADMIN_PORT, "the forwarder's admin port"],
  ]);
  const variables = new Map<string, string>([
    ...taken.environment.map((v): [string, string] => [v, "the app's environment"]),
    ["PORT", "the app's PORT"],
  ]);
  const names = new Set<string>();
  services.forEach((s, i) => {
    const at = `${arg}.services[${i}]`;
    problems.push(
      ...check(`${at}.name`, s.name, matches(DNS_LABEL, "one DNS label (a-z, 0-9, -), e.g. vault")),
      ...check(`${at}.localPort`, s.localPort, port),
      ...check(`${at}.remotePort`, s.remotePort, port),
      ...check(`${at}.remoteCidr`, s.remoteCidr, (v) =>
        parseIpv4Cidr(v) ? undefined : "must be an IPv4 network CIDR like 10.50.0.0/16",
      ),
      ...check(`${at}.envVar`, s.envVar, matches(ENV_VAR, "an environment variable name (A-Z, 0-9, _)")),
      ...check(`${at}.scheme`, s.scheme, matches(SCHEME, 'a URL scheme such as "https"')),
    );
    if (names.has(s.name)) problems.push({ arg: `${at}.name`, message: "is listed twice", value: s.name });
    names.add(s.name);
    const portUser = ports.get(s.localPort);
    if (portUser !== undefined)
      problems.push({ arg: `${at}.localPort`, message: `is already ${portUser}`, value: s.localPort });
    ports.set(s.localPort, `${at}.localPort`);
    const variable = addressVariable(s);
    const varUser = variables.get(variable);
    if (varUser !== undefined && ENV_VAR.test(variable))
      problems.push({ arg: `${at}.envVar`, message: `${variable} is already ${varUser}`, value: variable });
    variables.set(variable, `${at}'s address`);
  });
  return problems;
}

/**
 * The forwarder's container: essential (the app cannot reach its services without it), healthy
 * once its listeners are bound and its first lookups answered, read-only, unprivileged, with a hard
 * memory limit. It asks only DNS (the VPC resolver), so it needs no IAM permission.
 */
export function consulForwarderContainer<T>(args: {
  readonly forwarder: ConsulForwarderArgs;
  readonly image: T;
  readonly namespaceName: string;
  readonly stopTimeoutSeconds: number;
  readonly log: ContainerSpec<T>["log"];
  readonly value: (s: string) => T;
}): ContainerSpec<T> {
  const { forwarder, value } = args;
  return {
    name: FORWARDER_CONTAINER,
    image: args.image,
    essential: true,
    environment: {
      FORWARDS: value(forwardsVariable(forwarder.services, args.namespaceName)),
      ADMIN_PORT: value(String(FORWARDER_ADMIN_PORT)),
      // ECS stops the app first (it depends on the forwarder), then the forwarder: drain within stopTimeout.
      DRAIN_TIMEOUT_MS: value(String(Math.max(1, args.stopTimeoutSeconds - 1) * 1000)),
    },
    healthCheck: APP_HEALTH_CHECK,
    user: APP_USER,
    readonlyRootFilesystem: true,
    memory: forwarder.memory ?? 128,
    stopTimeoutSeconds: args.stopTimeoutSeconds,
    log: args.log,
  };
}

/** What a stack setting listing forwarded services holds (helloConsulServices). */
export const CONSUL_SERVICES_FORMAT =
  'comma-separated "[scheme://]name:port" entries, e.g. "https://vault:8200,postgres:5432" ' +
  `(name: a Consul service as consul-aws exports it, one DNS label; port 1-65535, where its instances ` +
  `listen and where the app finds it on 127.0.0.1, not ${FORWARDER_ADMIN_PORT}; each name and port once; ` +
  `at most ${MAX_FORWARDED_SERVICES})`;
const SERVICE_ENTRY = /^(?:([a-z][a-z0-9+.-]{0,15}):\/\/)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?):(\d{1,5})$/;

/**
 * The services of a `[scheme://]name:port,...` setting, or the first entry that is malformed or
 * repeats a name or port. The name in Cloud Map gets consul-aws's `inCloudMap` prefix; the app's
 * variable keeps the Consul name (VAULT_ADDR, not CONSUL_VAULT_ADDR). Listening and remote port are
 * one: the app asks for the port the service has.
 */
export function parseConsulServices(
  entries: readonly string[],
  o: { readonly prefix: string; readonly remoteCidr: string },
): { services: ConsulServiceArgs[] } | { bad: string } {
  if (entries.length > MAX_FORWARDED_SERVICES) return { bad: entries[MAX_FORWARDED_SERVICES] };
  const services: ConsulServiceArgs[] = [];
  for (const entry of entries) {
    const match = SERVICE_ENTRY.exec(entry);
    const p = Number(match?.[3]);
    if (!match || !(p >= 1 && p <= 65535) || p === FORWARDER_ADMIN_PORT) return { bad: entry };
    const name = match[2];
    const envVar = addressVariable({ name });
    if (services.some((s) => s.envVar === envVar || s.localPort === p)) return { bad: entry };
    services.push({
      name: `${o.prefix}${name}`,
      localPort: p,
      remotePort: p,
      remoteCidr: o.remoteCidr,
      envVar,
      ...(match[1] ? { scheme: match[1] } : {}),
    });
  }
  return { services };
}
