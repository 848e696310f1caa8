// The images built and run for real, on a Docker engine: `npm run images` end to end, then the
// container topology observed directly (docker inspect/exec, HTTP through hello's published port).
// Without an engine (or without what the base image needs) every test here is skipped, saying why.
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { APP_USER } from "../../packages/ecs-cloudmap-consul/service/container-definition";
import { ensureBaseImage } from "../../images/base-image";
import { buildAppImage, PROGRAM_DIR, type BuiltImage } from "../../images/build";
import {
  appFiles,
  imageContentProblems,
  installedPackages,
  productionPackages,
  type Lockfile,
} from "../../images/checks";
import { runLoad } from "../../local/load/closed-loop";
import { startContainerTopology, type ContainerTopology } from "../../images/containers";
import { docker, dockerOut, engineStatus, pickBuilder, run } from "../../images/docker";

const ROOT = path.resolve(__dirname, "..", "..");
// Per process, so two test runs on one engine never remove each other's containers or network.
const PREFIX = `ecc-test-${process.pid}`;
const CLI_PREFIX = `ecc-test-cli-${process.pid}`;

function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "images/cli.ts", ...args],
      { cwd: ROOT },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("images: built and run as containers (Docker engine)", function () {
  this.timeout(600_000);
  let skipReason: string | undefined;
  let images: Record<"hello" | "name" | "forwarder", BuiltImage>;
  let topology: ContainerTopology | undefined;

  before(async function () {
    const engine = await engineStatus();
    if (!engine.ok) skipReason = engine.reason;
    else if (process.getuid?.() !== 0) skipReason = "making the base image needs root (debootstrap)";
    else if (
      !(await run("debootstrap", ["--version"]).then(
        () => true,
        () => false,
      ))
    )
      skipReason = "debootstrap is not installed";
    if (skipReason) {
      console.log(`      skipped: ${skipReason}`);
      this.skip();
    }
  });

  after(async () => {
    await topology?.stop();
  });

  it("npm run images: base image, the three app images, containers, every check passes, nothing left behind", async () => {
    const { code, output } = await runCli(["--port", "0", "--prefix", CLI_PREFIX]);
    assert.equal(code, 0, output);
    assert.match(output, /7 of 7 checks passed/);
    assert.doesNotMatch(output, /^FAIL/m);
    assert.match(output, /ecs-cloudmap-consul\/hello:local: [\d.]+ MB/);
    assert.match(output, /ecs-cloudmap-consul\/forwarder:local: [\d.]+ MB/);
    assert.match(
      output,
      /^PASS {2}vault\.internal \(SRV only\) from 127\.0\.0\.1:8200 through the forwarder/m,
    );
    assert.equal(
      await dockerOut(["ps", "-aq", "--filter", `label=ecs-cloudmap-consul.images=${CLI_PREFIX}`]),
      "",
    );
    assert.equal(await dockerOut(["network", "ls", "-q", "--filter", `name=${CLI_PREFIX}-net`]), "");
  });

  describe("the topology, observed directly", () => {
    before(async () => {
      const builder = await pickBuilder();
      const base = await ensureBaseImage({ builder });
      const built = await Promise.all(
        (["hello", "name", "forwarder"] as const).map((app) =>
          buildAppImage(app, { baseImage: base.ref, builder, repository: "ecs-cloudmap-consul-test" }),
        ),
      );
      images = { hello: built[0], name: built[1], forwarder: built[2] };
      topology = await startContainerTopology({
        prefix: PREFIX,
        images: { hello: images.hello.ref, name: images.name.ref, forwarder: images.forwarder.ref },
        nameTasks: 3,
        helloPort: 0,
      });
    });

    it("the images are linux/amd64, built FROM the local base with its node user", async () => {
      for (const image of Object.values(images)) {
        assert.equal(
          await dockerOut([
            "image",
            "inspect",
            "--format",
            "{{.Os}}/{{.Architecture}} {{.Config.User}}",
            image.ref,
          ]),
          "linux/amd64 node",
        );
      }
    });

    it("hello on 127.0.0.1 answers from all three name tasks, found through the Cloud Map container's DNS", async () => {
      assert.match(topology!.helloUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const r = await runLoad(topology!.helloUrl, { concurrency: 3, durationMs: 10_000, maxRequests: 60 });
      assert.deepEqual(r.failures, []);
      assert.deepEqual(Object.keys(r.byTask).sort(), ["name-1", "name-2", "name-3"]);
      const listed = await topology!.instances();
      assert.deepEqual(listed.map((i) => i.id).sort(), ["name-1", "name-2", "name-3"]);
      for (const t of topology!.tasks())
        assert.deepEqual(
          listed.find((i) => i.id === t.id),
          { id: t.id, ip: t.ip, port: 3000 },
        );
    });

    it("every container runs as the task definitions' user with a read-only root filesystem", async () => {
      assert.equal(topology!.containers().length, 6);
      assert.ok(topology!.containers().includes(topology!.imported!.forwarder));
      for (const c of topology!.containers()) {
        assert.equal(
          await dockerOut(["inspect", "--format", "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}", c]),
          `${APP_USER} true`,
          c,
        );
        assert.equal(await dockerOut(["exec", c, "id", "-u"]), "1000", c);
        await assert.rejects(
          docker(["exec", c, "sh", "-c", "echo x > /tmp/probe"]),
          /Read-only file system/,
          c,
        );
      }
    });

    it("each container's HEALTHCHECK is the Dockerfile's and reports healthy", async () => {
      for (const c of topology!.containers()) {
        const [status, test] = (
          await dockerOut([
            "inspect",
            "--format",
            "{{.State.Health.Status}}|{{json .Config.Healthcheck.Test}}",
            c,
          ])
        ).split("|");
        assert.equal(status, "healthy", c);
        assert.deepEqual(JSON.parse(test), ["CMD", "node", "/app/dist/healthcheck.js"], c);
      }
    });

    it("the images hold exactly the production packages and no TypeScript sources or source maps", async () => {
      for (const image of Object.values(images)) {
        const lock = JSON.parse(
          fs.readFileSync(path.join(PROGRAM_DIR, "apps", image.app, "package-lock.json"), "utf8"),
        ) as Lockfile;
        const files = await appFiles(image.ref);
        assert.deepEqual(installedPackages(files), productionPackages(lock), image.app);
        assert.deepEqual(imageContentProblems(files, lock), [], image.app);
        assert.ok(files.includes("dist/server.js"));
        assert.ok(
          !files.some((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.startsWith("node_modules/"))),
          image.app,
        );
      }
    });

    it("the imported service is registered as consul-aws does: SRV only, instances <service id>_<ip>_<port>", async () => {
      const { serviceName, instances } = topology!.imported!;
      for (const i of instances)
        assert.match(i.id, new RegExp(`^srv-[a-z0-9]+_${i.ip.replace(/\./g, "\\.")}_8200$`));
      // Asked inside the Cloud Map container, of its own DNS server: no A record, SRV to the instance names.
      const script = `const r = new (require("dns").promises.Resolver)(); r.setServers(["127.0.0.1:53"]);
        Promise.all([r.resolve4("${serviceName}").then(() => "A", (e) => e.code), r.resolveSrv("${serviceName}")])
          .then(([a, srv]) => process.stdout.write(JSON.stringify({ a, srv })));`;
      const { a, srv } = JSON.parse(
        await dockerOut(["exec", topology!.cloudMap.container, "node", "-e", script]),
      ) as { a: string; srv: { name: string; port: number }[] };
      assert.equal(a, "ENODATA");
      assert.deepEqual(
        srv.map((r) => `${r.name}:${r.port}`).sort(),
        instances.map((i) => `${i.id}.${serviceName}:8200`.toLowerCase()).sort(),
      );
    });

    it("an app container of the forwarder's task reaches every TLS instance at 127.0.0.1:8200; the certificate is the instance's", async () => {
      const imported = topology!.imported!;
      const r = await imported.probe(12);
      assert.deepEqual(r.failures, []);
      const seen = new Map<string, number>();
      for (const answer of r.answers) {
        assert.equal(answer.status, 200);
        assert.equal(answer.authorized, true, "verified against vault.internal and the CA");
        assert.equal(answer.fingerprint256, imported.fingerprint256, "the backend's certificate, untouched");
        seen.set(answer.instance, (seen.get(answer.instance) ?? 0) + 1);
      }
      assert.deepEqual([...seen.keys()].sort(), ["vault-1", "vault-2", "vault-3"]);
      for (const n of seen.values()) assert.equal(n, 4, JSON.stringify([...seen]));
    });

    it("docker kill of an imported instance (still in DNS): new connections go to the others, none fails", async () => {
      const imported = topology!.imported!;
      const victim = imported.instances[1];
      await imported.kill(victim.id);
      const r = await imported.probe(30);
      assert.deepEqual(r.failures, []);
      assert.deepEqual([...new Set(r.answers.map((a) => a.instance))].sort(), ["vault-1", "vault-3"]);
      const { forwards } = (await imported.metrics()) as {
        forwards: {
          failed: number;
          retries: number;
          discovery: { targets: Record<string, { ejections: number; failures: number }> };
        }[];
      };
      assert.equal(forwards[0].failed, 0, "no client connection failed");
      const dead = forwards[0].discovery.targets[`${victim.ip}:8200`];
      // Ejected after 3 failed connects in a row (the default); by now its 2 s ejection may have run out.
      assert.ok(dead.ejections >= 1, `ejections ${dead.ejections}`);
      // Every refused connect was retried on another instance: one retry per failure, no more.
      assert.equal(forwards[0].retries, dead.failures);
      assert.ok(dead.failures >= 3, `failures ${dead.failures}`);
    });

    it("docker stop on a name task under load: it leaves DNS, drains, exits 0, and no client request fails", async () => {
      const victim = topology!.tasks()[0];
      let stoppedAt = 0;
      const r = await runLoad(topology!.helloUrl, {
        concurrency: 8,
        durationMs: 6000,
        maxRequests: 1_000_000,
        duringAfterMs: 2000,
        during: async () => {
          await docker(["stop", victim.container]);
          stoppedAt = Date.now();
        },
      });
      assert.deepEqual(r.failures, []);
      assert.ok(r.byTask[victim.id] > 0, "the stopped task served before the stop");
      assert.ok(stoppedAt > 0);
      assert.equal(await dockerOut(["inspect", "--format", "{{.State.ExitCode}}", victim.container]), "0");
      assert.match((await docker(["logs", victim.container])).stdout, /"msg":"drained"/);
      assert.deepEqual((await topology!.instances()).map((i) => i.id).sort(), ["name-2", "name-3"]);
      assert.equal(topology!.deregistrations().find((d) => d.id === victim.id)?.cause, "kill (signal 15)");
    });

    it("stop() removes every container and the network", async () => {
      await topology!.stop();
      topology = undefined;
      assert.equal(
        await dockerOut(["ps", "-aq", "--filter", `label=ecs-cloudmap-consul.images=${PREFIX}`]),
        "",
      );
      assert.equal(await dockerOut(["network", "ls", "-q", "--filter", `name=${PREFIX}-net`]), "");
    });
  });
});
