/**
 * A stand-in ECS endpoint on loopback speaking the service's JSON 1.1 protocol (the X-Amz-Target
 * header names the action), for code that builds its own SDK client: point the SDK at it with
 * AWS_ENDPOINT_URL_ECS. RunTask starts one task; DescribeTasks reports it stopped with `exitCode`.
 */
import * as http from "http";
import { listenOnLoopback } from "./stand-in-io";

export interface EcsCall {
  action: string;
  body: Record<string, unknown>;
}

export const STAND_IN_TASK = "arn:aws:ecs:eu-west-1:123456789012:task/c/abc";

/** ECS's answer to DescribeTasks for a task that stopped, its container having exited with `exitCode`. */
export function stoppedTask(container: string, exitCode: number | undefined, stoppedReason?: string) {
  return {
    tasks: [{ lastStatus: "STOPPED", stoppedReason, containers: [{ name: container, exitCode }] }],
  };
}

export async function standInEcs(
  container: string,
  exitCode: number,
): Promise<{ url: string; calls: EcsCall[]; close: () => Promise<void> }> {
  const calls: EcsCall[] = [];
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const action =
        String(req.headers["x-amz-target"] ?? "")
          .split(".")
          .pop() ?? "";
      calls.push({ action, body: JSON.parse(text || "{}") as Record<string, unknown> });
      const answer =
        action === "RunTask"
          ? { tasks: [{ taskArn: STAND_IN_TASK }], failures: [] }
          : action === "DescribeTasks"
            ? stoppedTask(container, exitCode)
            : undefined;
      res
        .writeHead(answer ? 200 : 400, { "Content-Type": "application/x-amz-json-1.1" })
        .end(
          JSON.stringify(
            answer ?? { __type: "InvalidParameterException", message: `unexpected ${action} ${text}` },
          ),
        );
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
}
