/**
 * A stand-in Cloud Map endpoint on loopback speaking the service's JSON 1.1 protocol, for code that
 * builds its own SDK client: point the SDK at it with AWS_ENDPOINT_URL_SERVICEDISCOVERY.
 */
import { AwsAnswer, AwsCall, LoopbackServer, standInJsonApi } from "./stand-in-io";

export type CloudMapCall = AwsCall;

/**
 * Cloud Map's JSON 1.1 API for one imported service with one instance, plus the stack's own service.
 * `overrides` replaces the answer to an action (e.g. a deregistration that fails).
 */
export function standInCloudMap(
  overrides: Readonly<Record<string, AwsAnswer>> = {},
): Promise<LoopbackServer & { calls: CloudMapCall[] }> {
  return standInJsonApi(
    {
      ListServices: () => ({
        Services: [
          { Id: "srv-hello", Name: "hello" },
          { Id: "srv-consul", Name: "consul", Description: "Imported from Consul" },
        ],
      }),
      ListInstances: () => ({ Instances: [{ Id: "10.50.0.4:8300" }] }),
      DeregisterInstance: () => ({ OperationId: "op-1" }),
      GetOperation: (body) => ({ Operation: { Id: body.OperationId, Status: "SUCCESS" } }),
      DeleteService: () => ({}),
      ...overrides,
    },
    "InvalidInput",
  );
}
