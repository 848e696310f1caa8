/**
 * A stand-in Cloud Map endpoint on loopback speaking the service's JSON 1.1 protocol (the
 * X-Amz-Target header names the action), for code that builds its own SDK client: point the SDK at
 * it with AWS_ENDPOINT_URL_SERVICEDISCOVERY.
 */
import * as http from "http";
import { listenOnLoopback } from "./stand-in-io";

export interface CloudMapCall {
  action: string;
  body: Record<string, unknown>;
}

type Answer = (body: Record<string, unknown>) => unknown;

/**
 * Cloud Map's JSON 1.1 API for one imported service with one instance, plus the stack's own service.
 * `overrides` replaces the answer to an action (e.g. a deregistration that fails).
 */
export async function standInCloudMap(overrides: Readonly<Record<string, Answer>> = {}): Promise<{
  url: string;
  calls: CloudMapCall[];
  close: () => Promise<void>;
}> {
  const calls: CloudMapCall[] = [];
  const answers: Record<string, Answer> = {
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
  };
  const server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const action =
        String(req.headers["x-amz-target"] ?? "")
          .split(".")
          .pop() ?? "";
      const body = JSON.parse(text || "{}") as Record<string, unknown>;
      calls.push({ action, body });
      const answer = answers[action];
      if (!answer) {
        res
          .writeHead(400, { "Content-Type": "application/x-amz-json-1.1" })
          .end(JSON.stringify({ __type: "InvalidInput", message: `unexpected ${action}` }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/x-amz-json-1.1" }).end(JSON.stringify(answer(body)));
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
}
