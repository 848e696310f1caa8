/**
 * A stand-in ECS endpoint on loopback speaking the service's JSON 1.1 protocol, for code that builds
 * its own SDK client: point the SDK at it with AWS_ENDPOINT_URL_ECS. RunTask starts one task;
 * DescribeTasks reports it stopped with `exitCode`.
 */
import type { ConsulDeregistrationInputs } from "../../packages/ecs-cloudmap-consul/consul/consul-deregistration";
import { AwsCall, LoopbackServer, standInJsonApi } from "./stand-in-io";

export type EcsCall = AwsCall;

export const STAND_IN_TASK = "arn:aws:ecs:eu-west-1:123456789012:task/c/abc";

/** What a deregistration's delete is given: the stand-in's cluster and a task definition it runs. */
export const DEREGISTRATION_INPUTS: ConsulDeregistrationInputs = {
  enabled: true,
  region: "eu-west-1",
  cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/c",
  taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/dereg:1",
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupId: "sg-1",
  consulHttpAddr: "https://consul.corp.example:8501",
};

/** ECS's answer to DescribeTasks for a task that stopped, its container having exited with `exitCode`. */
export function stoppedTask(container: string, exitCode: number | undefined, stoppedReason?: string) {
  return {
    tasks: [{ lastStatus: "STOPPED", stoppedReason, containers: [{ name: container, exitCode }] }],
  };
}

export function standInEcs(
  container: string,
  exitCode: number,
): Promise<LoopbackServer & { calls: EcsCall[] }> {
  return standInJsonApi(
    {
      RunTask: () => ({ tasks: [{ taskArn: STAND_IN_TASK }], failures: [] }),
      DescribeTasks: () => stoppedTask(container, exitCode),
    },
    "InvalidParameterException",
  );
}
