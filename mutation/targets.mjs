// What `npm run mutation -- <target>` mutates, and the tests that must notice.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** `file:<first>-<last>`: the lines between a file's `// #region argument checks` and `// #endregion`. */
function argumentChecks(file) {
  const lines = readFileSync(path.join(root, file), "utf8").split("\n");
  const first = lines.findIndex((l) => l.trim() === "// #region argument checks") + 1;
  const last = lines.findIndex((l, i) => i >= first && l.trim() === "// #endregion") + 1;
  if (first === 0 || last <= first) throw new Error(`${file}: no // #region argument checks … // #endregion`);
  return `${file}:${first + 1}-${last - 1}`;
}

export const TARGETS = {
  discovery: {
    mutate: [
      "apps/hello/src/discovery/**/*.ts",
      "!apps/hello/src/discovery/index.ts",
      "!apps/hello/src/discovery/logger.ts",
    ],
    spec: ["test/apps/discovery-*.test.ts"],
    tsconfig: "apps/hello/tsconfig.json",
    // Its tests take about a minute: a fresh process per static mutant would take hours.
    ignoreStatic: true,
  },
  // The DNS side of the discovery client with the tests written for it (the HTTP side's tests
  // cover these files too, but take minutes per run): quick to re-measure after a DNS change.
  "discovery-dns": {
    mutate: ["dns-wire", "resolver", "lookup", "records", "outlier", "balancer", "dns-servers"].map(
      (f) => `apps/hello/src/discovery/${f}.ts`,
    ),
    spec: ["dns-wire", "resolver", "records", "balancing"].map((f) => `test/apps/discovery-${f}.test.ts`),
    tsconfig: "apps/hello/tsconfig.json",
    ignoreStatic: true,
  },
  // The HTTP side (undici pool, attempts, options, errors) with the tests that drive it through
  // real loopback servers and DNS servers: the whole `discovery` target split in two, so each half
  // can be re-measured in reasonable time. Their sum is the whole client's score (a lower bound:
  // here the DNS files are not mutated, and in `discovery-dns` the HTTP tests do not run).
  "discovery-http": {
    mutate: ["pool", "attempt", "client", "options", "errors"].map((f) => `apps/hello/src/discovery/${f}.ts`),
    spec: ["client", "library", "http", "options"].map((f) => `test/apps/discovery-${f}.test.ts`),
    tsconfig: "apps/hello/tsconfig.json",
    ignoreStatic: true,
  },
  // The settings rules: parseSettings, the shared checks, naming, and each component's
  // `#region argument checks` (the rest of a component wires resources, tested under mocks).
  // invalid-settings.test.ts and the stack tests (whole programs under mocks, seconds per case)
  // are left out: every static mutant reruns all tests in a fresh process; parseSettings and
  // component-args call every rule directly.
  settings: {
    mutate: [
      "program/stack-settings.ts",
      "packages/ecs-cloudmap-consul/shared/arg-checks.ts",
      "packages/ecs-cloudmap-consul/shared/naming.ts",
      "packages/ecs-cloudmap-consul/service/capacity.ts",
      "packages/ecs-cloudmap-consul/service/fargate-sizes.ts",
      "packages/ecs-cloudmap-consul/shared/policies.ts",
      ...[
        "packages/ecs-cloudmap-consul/network/network.ts",
        "packages/ecs-cloudmap-consul/network/cluster.ts",
        "packages/ecs-cloudmap-consul/service/discoverable-service.ts",
        "packages/ecs-cloudmap-consul/network/namespace.ts",
        "packages/ecs-cloudmap-consul/network/load-balancer.ts",
        "packages/ecs-cloudmap-consul/network/api-gateway.ts",
        "program/app-image.ts",
        "packages/ecs-cloudmap-consul/consul/consul-sync.ts",
        "packages/ecs-cloudmap-consul/consul/consul-server.ts",
        "packages/ecs-cloudmap-consul/consul/consul-reach.ts",
        "packages/ecs-cloudmap-consul/environment/discovery-environment.ts",
      ].map((f) => argumentChecks(f)),
    ],
    spec: [
      "test/infra/settings.test.ts",
      "test/infra/settings-limits.test.ts",
      "test/infra/consul-settings.test.ts",
      "test/infra/component-args.test.ts",
      "test/infra/policies.test.ts",
      "test/infra/naming.test.ts",
      // The environment's own rules (one of embedded/external, same region, paths) are tested
      // through its constructor under mocks: 9 cases, about 5 s.
      "test/infra/discovery-environment.test.ts",
      // policies.ts's destroy-time documents, checked against AWS's IAM data and the calls the
      // code sends (4 s).
      "test/aws/destroy-functions.test.ts",
      "test/aws/consul-deregistration-policy.test.ts",
    ],
    tsconfig: "mutation/tsconfig.settings.json",
    // Its tables and patterns are module-level constants: their mutants need a fresh process
    // each, affordable with tests that load in a second.
    ignoreStatic: false,
  },
  driver: {
    mutate: ["driver/args.ts", "driver/progress.ts"],
    spec: ["test/driver/args.test.ts", "test/driver/progress.test.ts"],
    tsconfig: "mutation/tsconfig.driver.json",
    ignoreStatic: false,
  },
};
