// The part of Cloud Map's API that ECS calls for a service's tasks, over the DNS server's registry:
// RegisterInstance (a task became healthy), DeregisterInstance (a task is stopping), ListInstances.
// Same JSON 1.1 protocol as AWS (POST / with `X-Amz-Target: Route53AutoNaming_v20170314.<Action>`),
// ServiceId being the service's name. Pure: a call in, a status and a JSON body out.
import type { DnsServer } from "./dns-server";

export const TARGET_PREFIX = "Route53AutoNaming_v20170314.";

export interface ApiReply {
  status: number;
  body: Record<string, unknown>;
}

type Registry = Pick<DnsServer, "register" | "deregister" | "instances">;

function invalid(message: string): ApiReply {
  return { status: 400, body: { __type: "InvalidInput", message } };
}

function text(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** Handles one API call; `target` is the X-Amz-Target header, `raw` the request body. */
export function cloudMapCall(
  registry: Registry,
  services: readonly string[],
  target: string | undefined,
  raw: string,
): ApiReply {
  if (!target?.startsWith(TARGET_PREFIX)) return invalid(`X-Amz-Target must be ${TARGET_PREFIX}<Action>`);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw || "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      return invalid("body must be a JSON object");
    body = parsed as Record<string, unknown>;
  } catch {
    return invalid("body is not JSON");
  }
  const service = text(body, "ServiceId");
  if (!service) return invalid("ServiceId is required");
  if (!services.includes(service))
    return { status: 400, body: { __type: "ServiceNotFound", message: `no service ${service}` } };

  const action = target.slice(TARGET_PREFIX.length);
  switch (action) {
    case "RegisterInstance": {
      const id = text(body, "InstanceId");
      const attributes = (body.Attributes ?? {}) as Record<string, unknown>;
      const ip = text(attributes, "AWS_INSTANCE_IPV4");
      const port = Number(text(attributes, "AWS_INSTANCE_PORT"));
      if (!id) return invalid("InstanceId is required");
      if (!ip || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip))
        return invalid("Attributes.AWS_INSTANCE_IPV4 must be an IPv4 address");
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        return invalid("Attributes.AWS_INSTANCE_PORT must be a port (1-65535)");
      registry.register({ id, service, ip, port, healthy: true });
      return { status: 200, body: { OperationId: `register-${id}` } };
    }
    case "DeregisterInstance": {
      const id = text(body, "InstanceId");
      if (!id) return invalid("InstanceId is required");
      if (!registry.deregister(id))
        return { status: 400, body: { __type: "InstanceNotFound", message: `no instance ${id}` } };
      return { status: 200, body: { OperationId: `deregister-${id}` } };
    }
    case "ListInstances":
      return {
        status: 200,
        body: {
          Instances: registry
            .instances()
            .filter((i) => i.service === service)
            .map((i) => ({
              Id: i.id,
              Attributes: { AWS_INSTANCE_IPV4: i.ip, AWS_INSTANCE_PORT: String(i.port) },
            })),
        },
      };
    default:
      return { status: 400, body: { __type: "InvalidAction", message: `unsupported action ${action}` } };
  }
}
