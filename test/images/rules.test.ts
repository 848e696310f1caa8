// The pure parts of `npm run images`: where the base image comes from, the build arguments, the
// local Cloud Map API, Docker events → deregistration, and the rules the checks apply.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as dnsPacket from "dns-packet";
import { appImageBuild } from "../../program/app-image";
import { baseTag, debianMirror, npmConfigLayer, type RecipeInputs } from "../../images/base-image";
import { buildArgs } from "../../images/build";
import {
  drainProblems,
  imageContentProblems,
  installedPackages,
  productionPackages,
  securityProblems,
  type DrainResult,
  type Lockfile,
} from "../../images/checks";
import { taskOfAnswer } from "../../local/closed-loop-load";
import { parseImagesArgs } from "../../images/cli-args";
import { deregistrationCause, parseEvent } from "../../images/containers";
import { cloudMapCall, TARGET_PREFIX } from "../../local/cloudmap-api";
import { DnsServer } from "../../local/dns-server";

const ROOT = path.resolve(__dirname, "..", "..");

describe("images: base image inputs", () => {
  it("finds the bookworm mirror in deb822 and one-line apt sources, skipping disabled, security and other suites", () => {
    const deb822 = [
      "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n",
      "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\nComponents: main\n",
      "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n",
      "Types: deb\n# comment\nURIs: https://good.example/debian\nSuites: bookworm bookworm-updates\nComponents: main contrib\n",
    ].join("\n");
    assert.equal(
      debianMirror([{ path: "/etc/apt/sources.list.d/debian.sources", text: deb822 }]),
      "https://good.example/debian",
    );
    const oneLine =
      "# deb http://old.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://one.example/debian bookworm main\n";
    assert.equal(
      debianMirror([{ path: "/etc/apt/sources.list", text: oneLine }]),
      "http://one.example/debian",
    );
    assert.equal(
      debianMirror([{ path: "/etc/apt/sources.list", text: "deb http://x.example/debian trixie main\n" }]),
      undefined,
    );
    assert.equal(
      debianMirror([
        { path: "/etc/apt/sources.list", text: "deb http://x.example/debian bookworm contrib\n" },
      ]),
      undefined,
    );
  });

  it("the base image tag changes with the recipe, the mirror and the versions, and only with them", () => {
    const inputs: RecipeInputs = {
      recipe: "debootstrap …",
      mirror: "http://a.example/debian",
      nodeVersion: "24.18.0",
      npmVersion: "11.21.3",
    };
    const tag = baseTag(inputs);
    assert.match(tag, /^ecs-cloudmap-consul\/node-base:24-bookworm-[0-9a-f]{12}$/);
    assert.equal(baseTag({ ...inputs }), tag);
    for (const change of [
      { recipe: "debootstrap … changed" },
      { mirror: "http://b.example/debian" },
      { nodeVersion: "24.18.1" },
      { npmVersion: "10.9.0" },
    ]) {
      assert.notEqual(baseTag({ ...inputs, ...change }), tag, JSON.stringify(change));
    }
  });

  it("the npm layer carries the machine's registry and CA file only when they differ from npm's defaults", () => {
    assert.deepEqual(npmConfigLayer("https://registry.npmjs.org/", undefined), {});
    assert.deepEqual(npmConfigLayer("https://npm.corp.example/", undefined), {
      npmrc: "registry=https://npm.corp.example/\n",
      caFile: undefined,
    });
    assert.deepEqual(npmConfigLayer("https://registry.npmjs.org/", "/etc/ssl/ca.pem"), {
      npmrc: "registry=https://registry.npmjs.org/\ncafile=/usr/local/etc/npm-ca.pem\n",
      caFile: "/etc/ssl/ca.pem",
    });
  });
});

describe("images: build arguments come from the program's build spec", () => {
  it("docker build gets the context, Dockerfile, platform and BASE_IMAGE of appImageBuild, nothing else but the tag", () => {
    for (const app of ["hello", "name"]) {
      const spec = appImageBuild(app, "local/base:1");
      assert.deepEqual(buildArgs(spec, `r/${app}:local`), [
        "build",
        "--platform",
        "linux/amd64",
        "--file",
        `apps/${app}/Dockerfile`,
        "--tag",
        `r/${app}:local`,
        "--build-arg",
        "BASE_IMAGE=local/base:1",
        `apps/${app}`,
      ]);
      assert.ok(fs.existsSync(path.join(ROOT, spec.dockerfile)));
    }
    // Without a base image the Dockerfile's own default applies: no build argument at all.
    assert.deepEqual(buildArgs(appImageBuild("name"), "t"), [
      "build",
      "--platform",
      "linux/amd64",
      "--file",
      "apps/name/Dockerfile",
      "--tag",
      "t",
      "apps/name",
    ]);
  });
});

describe("images: the local Cloud Map API over the DNS server's registry", () => {
  const target = (action: string) => `${TARGET_PREFIX}${action}`;
  const ask = (dns: DnsServer, qname: string): string[] => {
    const reply = dns.answer(
      dnsPacket.encode({ type: "query", id: 1, questions: [{ type: "A", name: qname }] }),
      "udp",
    );
    return (dnsPacket.decode(reply!).answers ?? [])
      .map((a) => ("data" in a && typeof a.data === "string" ? a.data : ""))
      .sort();
  };

  it("RegisterInstance puts a task in DNS, DeregisterInstance takes it out, ListInstances lists what is registered", () => {
    const dns = new DnsServer({ namespace: "internal", ttlSeconds: 5, services: ["name"] });
    for (const [id, ip] of [
      ["name-1", "172.18.0.3"],
      ["name-2", "172.18.0.4"],
    ]) {
      const r = cloudMapCall(
        dns,
        ["name"],
        target("RegisterInstance"),
        JSON.stringify({
          ServiceId: "name",
          InstanceId: id,
          Attributes: { AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_PORT: "3000" },
        }),
      );
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    assert.deepEqual(ask(dns, "name.internal"), ["172.18.0.3", "172.18.0.4"]);
    assert.equal(
      cloudMapCall(dns, ["name"], target("DeregisterInstance"), '{"ServiceId":"name","InstanceId":"name-1"}')
        .status,
      200,
    );
    assert.deepEqual(ask(dns, "name.internal"), ["172.18.0.4"]);
    assert.deepEqual(cloudMapCall(dns, ["name"], target("ListInstances"), '{"ServiceId":"name"}').body, {
      Instances: [
        { Id: "name-2", Attributes: { AWS_INSTANCE_IPV4: "172.18.0.4", AWS_INSTANCE_PORT: "3000" } },
      ],
    });
    const again = cloudMapCall(
      dns,
      ["name"],
      target("DeregisterInstance"),
      '{"ServiceId":"name","InstanceId":"name-1"}',
    );
    assert.equal(again.status, 400);
    assert.equal(again.body.__type, "InstanceNotFound");
  });

  it("bad calls are refused with the reason and change nothing", () => {
    const dns = new DnsServer({ namespace: "internal", ttlSeconds: 5, services: ["name"] });
    const register = (body: unknown) =>
      cloudMapCall(dns, ["name"], target("RegisterInstance"), JSON.stringify(body));
    const cases: [ReturnType<typeof cloudMapCall>, RegExp][] = [
      [cloudMapCall(dns, ["name"], undefined, "{}"), /X-Amz-Target/],
      [cloudMapCall(dns, ["name"], target("RegisterInstance"), "not json"), /not JSON/],
      [
        cloudMapCall(dns, ["name"], target("DeleteNamespace"), '{"ServiceId":"name"}'),
        /unsupported action DeleteNamespace/,
      ],
      [register({ InstanceId: "x" }), /ServiceId is required/],
      [register({ ServiceId: "other", InstanceId: "x" }), /no service other/],
      [
        register({
          ServiceId: "name",
          Attributes: { AWS_INSTANCE_IPV4: "10.0.0.1", AWS_INSTANCE_PORT: "3000" },
        }),
        /InstanceId is required/,
      ],
      [
        register({
          ServiceId: "name",
          InstanceId: "x",
          Attributes: { AWS_INSTANCE_IPV4: "name-1", AWS_INSTANCE_PORT: "3000" },
        }),
        /AWS_INSTANCE_IPV4/,
      ],
      [
        register({
          ServiceId: "name",
          InstanceId: "x",
          Attributes: { AWS_INSTANCE_IPV4: "10.0.0.1", AWS_INSTANCE_PORT: "0" },
        }),
        /AWS_INSTANCE_PORT/,
      ],
    ];
    for (const [reply, message] of cases) {
      assert.equal(reply.status, 400);
      assert.match(String(reply.body.message), message);
    }
    assert.deepEqual(dns.instances(), []);
  });
});

describe("images: Docker events → deregistration (what ECS does when a task stops)", () => {
  const event = (action: string, attributes: Record<string, string>) =>
    JSON.stringify({
      status: action,
      id: "c0ffee",
      Type: "container",
      Action: action,
      Actor: { ID: "c0ffee", Attributes: { image: "x", name: "ecc-name-2", ...attributes } },
      time: 1,
    });

  it("a name task is deregistered on any kill (docker stop's SIGTERM, docker kill's SIGKILL) and when it dies", () => {
    assert.equal(
      deregistrationCause(parseEvent(event("kill", { "ecs-cloudmap-consul.task": "name-2", signal: "15" }))!),
      "kill (signal 15)",
    );
    assert.equal(
      deregistrationCause(parseEvent(event("kill", { "ecs-cloudmap-consul.task": "name-2", signal: "9" }))!),
      "kill (signal 9)",
    );
    assert.equal(
      deregistrationCause(parseEvent(event("die", { "ecs-cloudmap-consul.task": "name-2", exitCode: "0" }))!),
      "die",
    );
  });

  it("other events, containers that are not tasks, and garbage are ignored", () => {
    assert.equal(
      deregistrationCause(parseEvent(event("start", { "ecs-cloudmap-consul.task": "name-2" }))!),
      undefined,
    );
    assert.equal(
      deregistrationCause(
        parseEvent(event("health_status: healthy", { "ecs-cloudmap-consul.task": "name-2" }))!,
      ),
      undefined,
    );
    assert.equal(deregistrationCause(parseEvent(event("kill", { signal: "15" }))!), undefined); // hello or cloudmap
    assert.equal(parseEvent("not json"), undefined);
  });
});

describe("images: the checks' rules", () => {
  const lock = JSON.parse(
    fs.readFileSync(path.join(ROOT, "apps/hello/package-lock.json"), "utf8"),
  ) as Lockfile;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "apps/hello/package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const production = productionPackages(lock);
  // A runtime tree as `npm ci --omit=dev` leaves it: each production package with its package.json,
  // a nested package.json inside one (not a package of its own), a .d.ts a dependency ships.
  const clean = [
    "dist/",
    "dist/server.js",
    "dist/healthcheck.js",
    "dist/discovery/",
    "dist/discovery/client.js",
    "package.json",
    "package-lock.json",
    "node_modules/",
    "node_modules/.package-lock.json",
    "node_modules/@types/",
    ...production.flatMap((p) => [`${p}/`, `${p}/package.json`, `${p}/index.js`]),
    "node_modules/dns-packet/lib/package.json",
    "node_modules/@leichtgewicht/ip-codec/types/index.d.ts",
  ];

  it("hello's production set, read from its lockfile: every dependency of package.json, no dev dependency", () => {
    for (const dep of Object.keys(pkg.dependencies))
      assert.ok(production.includes(`node_modules/${dep}`), dep);
    for (const dep of Object.keys(pkg.devDependencies))
      assert.ok(!production.includes(`node_modules/${dep}`), dep);
    assert.ok(production.includes("node_modules/@leichtgewicht/ip-codec"), "dns-packet's own dependency");
    assert.deepEqual(installedPackages(clean), production);
  });

  it("a clean runtime tree passes; dev packages, sources, source maps, tsconfig or a missing package do not", () => {
    assert.deepEqual(imageContentProblems(clean, lock), []);
    const problems = (extra: string[], without: string[] = []) =>
      imageContentProblems([...clean.filter((f) => !without.includes(f)), ...extra], lock);
    assert.match(
      problems(["node_modules/typescript/package.json"]).join(),
      /not in the production set: node_modules\/typescript/,
    );
    assert.match(problems(["node_modules/@types/node/package.json"]).join(), /node_modules\/@types\/node/);
    assert.match(problems(["dist/server.js.map"]).join(), /build-stage files: dist\/server\.js\.map/);
    assert.match(problems(["src/", "src/server.ts"]).join(), /build-stage files: src\/, src\/server\.ts/);
    assert.match(problems(["tsconfig.json"]).join(), /tsconfig\.json/);
    assert.match(
      problems([], ["node_modules/dns-packet/package.json"]).join(),
      /missing: node_modules\/dns-packet/,
    );
    assert.match(problems([], ["dist/healthcheck.js"]).join(), /healthcheck\.js missing/);
  });

  it("non-root and read-only: uid 0, a writable root or a write that went through each fail", () => {
    const ok = {
      container: "c",
      uid: 1000,
      readOnlyRootfs: true,
      writeProbe: "sh: 1: cannot create /tmp/write-probe: Read-only file system",
    };
    assert.deepEqual(securityProblems(ok), []);
    assert.match(securityProblems({ ...ok, uid: 0 }).join(), /runs as uid 0/);
    assert.match(securityProblems({ ...ok, readOnlyRootfs: false }).join(), /writable root filesystem/);
    assert.match(securityProblems({ ...ok, writeProbe: "written" }).join(), /gave "written"/);
  });

  it("a drain fails on any failed request, a non-zero exit, no drain log, or a task still registered", () => {
    const ok: DrainResult = {
      load: { ok: 500, failures: [], byTask: {}, maxLatencyMs: 40 },
      exitCode: 0,
      drained: true,
      listedAfter: ["name-1", "name-3"],
      deregisteredBy: "kill (signal 15)",
      stopMs: 300,
    };
    assert.deepEqual(drainProblems(ok, "name-2"), []);
    assert.match(
      drainProblems({ ...ok, load: { ...ok.load, failures: ["503 at 10 ms"] } }, "name-2").join(),
      /1 failed requests/,
    );
    assert.match(drainProblems({ ...ok, exitCode: 137 }, "name-2").join(), /exited 137/);
    assert.match(drainProblems({ ...ok, drained: false }, "name-2").join(), /never logged "drained"/);
    assert.match(
      drainProblems({ ...ok, listedAfter: ["name-1", "name-2"] }, "name-2").join(),
      /still registered/,
    );
  });

  it("reads the answering task from hello's answer", () => {
    assert.equal(taskOfAnswer("Hello (from hello-1) Sophia (from name-3)"), "name-3");
    assert.equal(taskOfAnswer("503 Service Unavailable: no name.internal task answered"), undefined);
  });
});

describe("images: flags of npm run images", () => {
  it("defaults, and every bad flag named", () => {
    const parsed = parseImagesArgs([]);
    assert.deepEqual(parsed, {
      kind: "run",
      options: {
        buildOnly: false,
        keepRunning: false,
        baseImage: undefined,
        tasks: 3,
        port: 8080,
        prefix: "ecc",
        verbose: false,
      },
    });
    assert.deepEqual(parseImagesArgs(["--help"]), { kind: "help" });
    const bad = parseImagesArgs([
      "--tasks",
      "1",
      "--port",
      "70000",
      "--prefix",
      "Bad_Name",
      "--base-image",
      "not an image",
      "--build-only",
      "--keep-running",
    ]);
    assert.equal(bad.kind, "error");
    const message = bad.kind === "error" ? bad.message : "";
    for (const part of [
      /--tasks must be a whole number from 2 to 20, got "1"/,
      /--port must be a whole number from 0 to 65535/,
      /--prefix/,
      /--base-image/,
      /exclude each other/,
    ]) {
      assert.match(message, part);
    }
    assert.match((parseImagesArgs(["--nope"]) as { message: string }).message, /--nope/);
  });
});
