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
import { runLoad } from "../../local/closed-loop-load";
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
  let images: Record<"hello" | "name", BuiltImage>;
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

  it("npm run images: base image, both app images, containers, every check passes, nothing left behind", async () => {
    const { code, output } = await runCli(["--port", "0", "--prefix", CLI_PREFIX]);
    assert.equal(code, 0, output);
    assert.match(output, /6 of 6 checks passed/);
    assert.doesNotMatch(output, /^FAIL/m);
    assert.match(output, /ecs-cloudmap-consul\/hello:local: [\d.]+ MB/);
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
        (["hello", "name"] as const).map((app) =>
          buildAppImage(app, { baseImage: base.ref, builder, repository: "ecs-cloudmap-consul-test" }),
        ),
      );
      images = { hello: built[0], name: built[1] };
      topology = await startContainerTopology({
        prefix: PREFIX,
        images: { hello: images.hello.ref, name: images.name.ref },
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
      assert.equal(topology!.containers().length, 5);
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
          fs.readFileSync(path.join(PROGRAM_DIR, image.spec.context, "package-lock.json"), "utf8"),
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
