/**
 * serviceConnect pairing: hello runs with exactly the environment the program puts in its task
 * definition, in a network namespace whose hosts file maps the Service Connect alias (as ECS
 * does) and whose resolver answers nothing. Every answer must come from name through the
 * alias, and hello must not have asked DNS once. Needs root and iproute2 (network namespaces).
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadStackConfig, PROJECT, ROOT, runProgram } from "./harness";
import { containersOf, envOf, one, T } from "./graph";

const NS = `sc-pairing-${process.pid}`;
const NS_DIR = `/etc/netns/${NS}`;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root for a network namespace";
  if (spawnSync("ip", ["-V"]).status !== 0) return "needs iproute2 (`ip`)";
  for (const app of ["hello", "name"])
    if (!fs.existsSync(path.join(ROOT, "apps", app, "dist", "server.js")))
      return `apps/${app} is not built (npm run build:apps)`;
  return undefined;
}

/** Runs a script with node inside the namespace and returns its stdout. */
function nodeInNamespace(script: string): string {
  return execFileSync("ip", ["netns", "exec", NS, process.execPath, "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("serviceConnect: hello's task environment against a Service Connect style alias", function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];

  before(function () {
    const reason = unavailable();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
  });

  after(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    spawnSync("ip", ["netns", "del", NS]);
    fs.rmSync(NS_DIR, { recursive: true, force: true });
  });

  it("reaches name through the alias with no DNS query of its own", async () => {
    const run = await runProgram(
      { ...loadStackConfig("dev"), [`${PROJECT}:discoveryMode`]: "serviceConnect" },
      "dev",
    );
    if (run.error) throw run.error;
    const [hello] = containersOf(one(run, T.taskDefinition, "hello-task"));
    const [name] = containersOf(one(run, T.taskDefinition, "name-task"));
    const env = envOf(hello);
    assert.strictEqual(env.DISCOVERY_MODE, "proxy");
    const alias = new URL(env.NAME_SERVER);

    execFileSync("ip", ["netns", "add", NS]);
    fs.mkdirSync(NS_DIR, { recursive: true });
    // ECS writes the alias into the task's hosts file; the resolver points at a closed port.
    fs.writeFileSync(path.join(NS_DIR, "hosts"), `127.0.0.1 localhost\n127.0.0.1 ${alias.hostname}\n`);
    fs.writeFileSync(path.join(NS_DIR, "resolv.conf"), "nameserver 127.0.0.53\n");
    execFileSync("ip", ["netns", "exec", NS, "ip", "link", "set", "lo", "up"]);

    const start = (app: string, vars: Record<string, string>) => {
      const child = spawn(
        "ip",
        [
          "netns",
          "exec",
          NS,
          "env",
          ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
          process.execPath,
          path.join(ROOT, "apps", app, "dist", "server.js"),
        ],
        { stdio: "ignore" },
      );
      children.push(child);
    };
    // Separate tasks on AWS; here one namespace, so each app gets its own loopback address.
    start("name", { ...envOf(name), HOST: "127.0.0.1", TASK_NAME: "name-1" });
    start("hello", { ...env, HOST: "127.0.0.2", TASK_NAME: "hello-1" });

    const out = nodeInNamespace(`
            (async () => {
                const base = "http://127.0.0.2:${env.PORT}";
                for (let i = 0; i < 100; i++) { try { await fetch(base + "/health"); break; } catch { await new Promise((r) => setTimeout(r, 100)); } }
                const answers = [];
                for (let i = 0; i < 5; i++) { const r = await fetch(base + "/"); answers.push([r.status, await r.text()]); }
                const metrics = await (await fetch(base + "/metrics")).json();
                console.log(JSON.stringify({ answers, metrics }));
            })();`);
    const { answers, metrics } = JSON.parse(out) as {
      answers: [number, string][];
      metrics: { dnsQueries: number; discovery: { mode: string } };
    };
    for (const [status, text] of answers) {
      assert.strictEqual(status, 200, text);
      assert.match(text, /^Hello \(from hello-1\) \S+ \(from name-1\)$/);
    }
    assert.strictEqual(metrics.discovery.mode, "proxy");
    assert.strictEqual(metrics.dnsQueries, 0, "hello asked DNS itself");
  });
});
