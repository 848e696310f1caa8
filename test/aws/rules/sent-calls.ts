/**
 * The calls the destroy-time code really sends, recorded from the code itself with a client that
 * answers like AWS: what its permission tables and IAM policies are checked against.
 */
import * as ecs from "@aws-sdk/client-ecs";
import {
  runDeregistration,
  type ConsulDeregistrationInputs,
} from "../../../packages/ecs-cloudmap-consul/consul/consul-deregistration";

/** A client (any v3 SDK's `send`) that records each command as `<service>:<Action>`, without repeats, and answers from `answer`. */
export function recordingClient(service: string, answer: (action: string) => unknown) {
  const sent = new Set<string>();
  return {
    sent,
    send(command: unknown) {
      const action = (command as object).constructor.name.replace(/Command$/, "");
      sent.add(`${service}:${action}`);
      return Promise.resolve(answer(action));
    },
  };
}

/** The ECS actions the deregistration sends for `inputs` when its task starts and exits 0, sorted. */
export async function deregistrationActions(inputs: ConsulDeregistrationInputs): Promise<string[]> {
  const client = recordingClient("ecs", (action) =>
    action === "RunTask"
      ? { tasks: [{ taskArn: `${inputs.cluster.replace(":cluster/", ":task/")}/abc` }] }
      : { tasks: [{ lastStatus: "STOPPED", containers: [{ name: "consul-deregister", exitCode: 0 }] }] },
  );
  await runDeregistration(client, ecs, inputs, { sleep: () => Promise.resolve() });
  return [...client.sent].sort();
}
