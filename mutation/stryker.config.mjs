// StrykerJS for one target of targets.mjs, chosen by MUTATION_TARGET (run.mjs sets it).
import { TARGETS } from "./targets.mjs";

const name = process.env.MUTATION_TARGET;
const target = TARGETS[name];
if (!target)
  throw new Error(`MUTATION_TARGET must be one of ${Object.keys(TARGETS).join(", ")}; got ${name}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: target.mutate,
  testRunner: "mocha",
  mochaOptions: {
    spec: target.spec,
    require: ["ts-node/register/transpile-only"],
    // The project's .mocharc adds every spec to any run; this target runs only its own.
    "no-config": true,
  },
  // Per-test coverage: each mutant runs only the tests that reach it.
  coverageAnalysis: "perTest",
  // A mutant in a module-level constant (a "static" mutant) needs a fresh test process each.
  // Targets with slow tests leave them out (reported as "ignored", not in the score).
  ignoreStatic: target.ignoreStatic,
  // Mutants that do not compile are not behaviour: the TypeScript checker drops them.
  // MUTATION_TYPECHECK=0 skips it (each check of a file that imports the Pulumi SDKs' types takes
  // seconds on a loaded machine); mutants that would not compile then run as JavaScript.
  checkers: process.env.MUTATION_TYPECHECK === "0" ? [] : ["typescript"],
  tsconfigFile: target.tsconfig,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // The machine is shared: one test runner process, one checker.
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 10000,
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  // Mutate the files where they are: the program imports the package through its node_modules
  // link (file:packages/ecs-cloudmap-consul), which in a sandbox copy would still point at the
  // unmutated sources, so the package's mutants would survive unseen. Stryker restores each file.
  inPlace: true,
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
  ignorePatterns: ["mutation/node_modules", "reports", "bench/results", "dist"],
};
