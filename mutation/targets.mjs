// What `npm run mutation -- <target>` mutates, and the tests that must notice.
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
    spec: ["client", "library", "http"].map((f) => `test/apps/discovery-${f}.test.ts`),
    tsconfig: "apps/hello/tsconfig.json",
    ignoreStatic: true,
  },
  // invalidSettings.test.ts (the whole program under Pulumi mocks, seconds per case) is left out:
  // every static mutant reruns all tests in a fresh process; parseSettings is tested directly.
  settings: {
    mutate: ["components/settings.ts", "components/policies.ts", "components/naming.ts"],
    spec: [
      "test/infra/settings.test.ts",
      "test/infra/policies.test.ts",
      "test/infra/naming.test.ts",
      "test/infra/settings-limits.test.ts",
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
