/**
 * The catalog check task's shell script, run for real with sh, curl and jq (what the Consul image
 * ships) against a stand-in Consul HTTP API on loopback; its output goes through the driver's own
 * parser and judge, as after a deploy.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as http from "http";
import { catalogCheckScript } from "../../packages/ecs-cloudmap-consul/consul/consul-catalog-check";
import { judgeConsulSide, parseCatalogLog } from "../../driver/consul-check";
import { listenOnLoopback, runChild, type ChildResult } from "./stand-in-io";

const TOKEN = "5f0c1d2e-3a4b-4c5d-8e9f-0a1b2c3d4e5f";
const haveTools = ["sh", "curl", "jq"].every(
  (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0,
);

function entries(service: string): unknown[] {
  return [
    {
      Node: "consul-aws",
      ServiceName: service,
      ServicePort: 3000,
      ServiceTags: ["aws"],
      Address: "10.10.1.5",
    },
  ];
}

/** A Consul catalog that knows hello and name only after `readyAfter` requests, and only for the right token. */
async function standInConsul(
  readyAfter: number,
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers["x-consul-token"] !== TOKEN) {
      res.writeHead(403).end("ACL not found");
      return;
    }
    const service = /^\/v1\/catalog\/service\/([a-z0-9-]+)$/.exec(req.url ?? "")?.[1];
    res
      .writeHead(200, { "Content-Type": "application/json" })
      .end(JSON.stringify(service && requests.length > readyAfter ? entries(service) : []));
  });
  return { ...(await listenOnLoopback(server)), requests };
}

function runScript(script: string, env: Record<string, string>): Promise<ChildResult> {
  return runChild("sh", ["-c", script], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    timeoutMs: 20_000,
  });
}

describe("infra catalog check script (sh + curl + jq against a stand-in Consul)", function () {
  before(function () {
    if (!haveTools) {
      console.log("      skipped: needs sh, curl and jq (apt: curl jq), as in the Consul image");
      this.skip();
    }
  });

  it("polls until hello and name are in the catalog, prints them, exits 0, and never prints the token", async () => {
    const consul = await standInConsul(3);
    try {
      const run = await runScript(catalogCheckScript(["hello", "name"], 5, 0), {
        CONSUL_HTTP_ADDR: consul.url,
        CONSUL_HTTP_TOKEN: TOKEN,
      });
      assert.strictEqual(run.code, 0, run.stdout);
      const verdict = judgeConsulSide(
        [
          { service: "hello", consulName: "hello", port: 3000 },
          { service: "name", consulName: "name", port: 3000 },
        ],
        parseCatalogLog(run.stdout.split("\n")),
        run.code ?? undefined,
      );
      assert.ok(verdict.ok, verdict.lines.join("\n"));
      assert.ok(consul.requests.length > 4, "it asked again after empty answers");
      assert.ok(!run.stdout.includes(TOKEN));
    } finally {
      await consul.close();
    }
  });

  it("a refused token leaves both services empty and exits non-zero after the attempts run out", async () => {
    const consul = await standInConsul(0);
    try {
      const run = await runScript(catalogCheckScript(["hello", "name"], 2, 0), {
        CONSUL_HTTP_ADDR: consul.url,
        CONSUL_HTTP_TOKEN: "wrong",
      });
      assert.strictEqual(run.code, 1);
      assert.deepStrictEqual(run.stdout.trim().split("\n"), ["CATALOG hello []", "CATALOG name []"]);
    } finally {
      await consul.close();
    }
  });

  it("refuses a service name that is not a plain Consul name (it goes into the script)", () => {
    assert.throws(() => catalogCheckScript(["hello; rm -rf /"], 1, 1), /not a Consul service name/);
  });
});
