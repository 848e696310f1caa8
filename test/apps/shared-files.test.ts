// Each app's container is built from its own folder, so a few small files exist once per app.
// They must not drift apart.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { APPS_DIR, runApp, SHIPPED_NODE, SHIPPED_NODE_VERSION } from "./support/app-process";
import { NODE_VERSION as TEST_BASE_NODE_VERSION } from "../../images/base-image";
import { throttle } from "../../apps/hello/src/throttle";

describe("apps: shared files and helpers", () => {
  for (const file of [
    "env.ts",
    "shutdown.ts",
    "healthcheck.ts",
    "http-server.ts",
    "emf.ts",
    "metric-names.ts",
  ]) {
    it(`apps/name/src/${file} and apps/hello/src/${file} are identical`, () => {
      const read = (app: string) => fs.readFileSync(path.join(APPS_DIR, app, "src", file), "utf8");
      assert.equal(read("hello"), read("name"));
    });
  }

  it("the forwarder reads its settings with hello's env.ts (no copy), pins the discovery library's dns-packet at hello's version and imports its connections entry", () => {
    const read = (app: string, file: string) => fs.readFileSync(path.join(APPS_DIR, app, file), "utf8");
    assert.equal(fs.existsSync(path.join(APPS_DIR, "forwarder", "src", "env.ts")), false);
    assert.match(
      read("forwarder", "src/config.ts"),
      /^import \{[^}]*\} from "\.\.\/\.\.\/hello\/src\/env";$/m,
    );
    const pkg = (app: string) =>
      JSON.parse(read(app, "package.json")) as {
        scripts: Record<string, string>;
        dependencies?: Record<string, string>;
        devDependencies: Record<string, string>;
      };
    const hello = pkg("hello");
    const forwarder = pkg("forwarder");
    // The library's imports are bundled into the forwarder at build time: nothing at run time.
    assert.equal(forwarder.dependencies, undefined);
    // The library's DNS wire format comes from hello's pinned dns-packet; the forwarder imports the
    // library's connections entry, which never loads undici, so it does not install it either.
    assert.equal(forwarder.devDependencies["dns-packet"], hello.dependencies?.["dns-packet"]);
    assert.equal(forwarder.devDependencies.undici, undefined);
    for (const file of ["config.ts", "forwarder.ts", "log.ts", "server.ts"])
      assert.doesNotMatch(
        read("forwarder", `src/${file}`),
        /hello\/src\/discovery["/](?!connections")/,
        file,
      );
    for (const [dep, version] of Object.entries(forwarder.devDependencies))
      if (!dep.startsWith("@types/") && dep !== "typescript")
        assert.match(version, /^\d+\.\d+\.\d+$/, `forwarder: ${dep}@${version} is not pinned`);
    assert.equal(forwarder.scripts.start, "node dist/server.js");
    const dockerfile = read("forwarder", "Dockerfile");
    // The same Node as the other apps, pinned by digest.
    assert.equal(
      dockerfile.match(/^ARG BASE_IMAGE=.*$/m)?.[0],
      read("hello", "Dockerfile").match(/^ARG BASE_IMAGE=.*@sha256:[0-9a-f]{64}$/m)?.[0],
    );
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^COPY hello\/src\/discovery /m);
    // What the build stage compiles from hello must be in the (allow-listed) context.
    assert.match(dockerfile, /^COPY hello\/src\/env\.ts \/build\/hello\/src\/env\.ts$/m);
    assert.match(read("", ".dockerignore"), /^!hello\/src\/env\.ts$/m);
    assert.match(dockerfile, /^CMD \["node", "--max-old-space-size=\d+", "dist\/server.js"\]$/m);
    assert.doesNotMatch(dockerfile, /--omit=dev/, "the runtime stage installs nothing");
  });

  it("the discovery library's connections entry reaches no module that imports undici (types included)", () => {
    const dir = path.join(APPS_DIR, "hello", "src", "discovery");
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = fs.readFileSync(path.join(dir, `${file}.ts`), "utf8");
      assert.doesNotMatch(source, /from "undici"/, `${file}.ts imports undici`);
      for (const m of source.matchAll(/from "\.\/([a-z-]+)"/g)) visit(m[1]);
    };
    visit("connections");
    assert.ok(seen.has("target-set") && seen.has("resolver") && !seen.has("pool"), [...seen].join(","));
  });

  it("each app pins its dependencies and builds/starts the way the contract says", () => {
    for (const app of ["name", "hello"]) {
      const pkg = JSON.parse(fs.readFileSync(path.join(APPS_DIR, app, "package.json"), "utf8")) as {
        private: boolean;
        scripts: Record<string, string>;
        dependencies?: Record<string, string>;
      };
      assert.equal(pkg.private, true);
      assert.equal(pkg.scripts.start, "node dist/server.js");
      assert.equal(pkg.scripts.build, "tsc -p .");
      for (const [dep, version] of Object.entries(pkg.dependencies ?? {}))
        assert.match(version, /^\d+\.\d+\.\d+$/, `${app}: ${dep}@${version} is not pinned`);
      assert.ok(
        fs.existsSync(path.join(APPS_DIR, app, "package-lock.json")),
        `${app} has no package-lock.json`,
      );
      const dockerfile = fs.readFileSync(path.join(APPS_DIR, app, "Dockerfile"), "utf8");
      // The official image of the Node the tests run the apps on, pinned by its index digest.
      assert.match(
        dockerfile,
        new RegExp(
          `^ARG BASE_IMAGE=public\\.ecr\\.aws/docker/library/node:${SHIPPED_NODE_VERSION.replace(/\./g, "\\.")}-bookworm-slim@sha256:[0-9a-f]{64}$`,
          "m",
        ),
      );
      assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
      assert.match(dockerfile, /^USER node$/m);
      assert.match(dockerfile, /^CMD \["node", "dist\/server.js"\]$/m);
    }
  });

  it("the apps, their test base image and their tests share one Node.js: the Active LTS the images ship", () => {
    assert.match(SHIPPED_NODE_VERSION, /^24\.\d+\.\d+$/);
    assert.equal(TEST_BASE_NODE_VERSION, SHIPPED_NODE_VERSION, "images/base-image.ts builds another Node");
    for (const app of ["name", "hello"]) {
      const pkg = JSON.parse(fs.readFileSync(path.join(APPS_DIR, app, "package.json"), "utf8")) as {
        engines: { node: string };
        devDependencies: Record<string, string>;
      };
      assert.equal(pkg.engines.node, ">=24", `${app}: engines`);
      assert.match(pkg.devDependencies["@types/node"], /^\^?24\./, `${app}: @types/node`);
    }
  });

  it("the apps' tests run the apps on that Node (the pinned linux-x64 build)", async function () {
    if (!SHIPPED_NODE) {
      console.log(
        `      skipped: the shipped Node is a linux-x64 build; this is ${process.platform} ${process.arch}`,
      );
      return this.skip();
    }
    const app = runApp("name", { PORT: "0", HOST: "127.0.0.1" });
    try {
      await app.listening;
      assert.equal(app.lines[0].node, `v${SHIPPED_NODE_VERSION}`);
    } finally {
      await app.kill();
    }
  });

  it("throttle lets one line per interval through and counts the ones held back", () => {
    let now = 0;
    const seen: number[] = [];
    const gate = throttle(1000, () => now);
    for (const t of [0, 10, 20, 999, 1000, 1500, 2500]) {
      now = t;
      gate((held) => seen.push(held));
    }
    assert.deepEqual(seen, [0, 3, 1]);
  });
});
