// Each app's container is built from its own folder, so a few small files exist once per app.
// They must not drift apart.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { APPS_DIR } from "./support/app-process";
import { throttle } from "../../apps/hello/src/throttle";

describe("apps: shared files and helpers", () => {
  for (const file of ["env.ts", "shutdown.ts", "healthcheck.ts", "emf.ts", "metric-names.ts"]) {
    it(`apps/name/src/${file} and apps/hello/src/${file} are identical`, () => {
      const read = (app: string) => fs.readFileSync(path.join(APPS_DIR, app, "src", file), "utf8");
      assert.equal(read("hello"), read("name"));
    });
  }

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
      assert.match(dockerfile, /^ARG BASE_IMAGE=public\.ecr\.aws\/docker\/library\/node:20-bookworm-slim$/m);
      assert.match(dockerfile, /^RUN npm ci --omit=dev/m);
      assert.match(dockerfile, /^USER node$/m);
      assert.match(dockerfile, /^CMD \["node", "dist\/server.js"\]$/m);
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
