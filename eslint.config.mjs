// One linter for the whole tree: typescript-eslint's recommended type-checked rules, each file
// checked against the tsconfig that compiles it (the program, the apps, the policy pack).
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "**/dist/",
      "**/bin/",
      "reports/",
      ".stryker-tmp*/",
      "test-results/",
      "bench/results/",
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: "readonly",
        console: "readonly",
        require: "readonly",
        module: "writable",
        __dirname: "readonly",
      },
    },
  },
  {
    // One way for a process to end: exit-x's exit(code), which exits once stdout and stderr have
    // drained. process.exit() drops what a pipe has not yet taken (past 64 KiB): `npm run plan … |
    // jq` read a plan cut short, and the exit code still said success.
    rules: {
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "exit",
          message:
            'use exit(code) from "exit-x": it exits after stdout and stderr have drained (process.exit() cuts piped output).',
        },
      ],
    },
  },
  {
    // Tests hand async interfaces stand-ins that answer at once (`async () => undefined`).
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/require-await": "off" },
  },
  {
    // CommonJS by necessity: mocha loads its reporter with require(), actions/github-script
    // loads the workflows' comment helpers with require(), and the package's entry chooses with
    // require() between its compiled build and its sources.
    files: ["test/reporter.js", ".github/scripts/*.js", "packages/*/entry.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // The program reads as a table of contents: a choice between kinds is a named function, not a
    // chain of conditionals.
    files: ["program/**/*.ts"],
    rules: { "no-nested-ternary": "error" },
  },
);
