// What `npm run mutation -- <target>` mutates, and the tests that must notice.
export const TARGETS = {
  discovery: {
    mutate: ["apps/hello/src/discovery/**/*.ts", "!apps/hello/src/discovery/index.ts", "!apps/hello/src/discovery/logger.ts"],
    spec: ["test/apps/discovery-*.test.ts"],
    tsconfig: "apps/hello/tsconfig.json",
  },
  settings: {
    mutate: ["components/settings.ts", "components/policies.ts", "components/naming.ts"],
    spec: ["test/infra/settings.test.ts", "test/infra/policies.test.ts", "test/infra/naming.test.ts", "test/infra/invalidSettings.test.ts", "test/infra/settings-limits.test.ts"],
    tsconfig: "mutation/tsconfig.settings.json",
  },
  driver: {
    mutate: ["driver/args.ts", "driver/progress.ts"],
    spec: ["test/driver/args.test.ts", "test/driver/progress.test.ts"],
    tsconfig: "mutation/tsconfig.driver.json",
  },
};
