/**
 * The pipeline's safety rules, checked on the workflow files as GitHub reads them (parsed YAML, the
 * expressions evaluated), and tied to the driver: the stack a job's concurrency group names is the
 * stack the driver's own parser makes of the same input.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { parseCommand, parseTtl } from "../../driver/args";
import { DriverError } from "../../driver/errors";
import { checkStackSettings, isEphemeralStack } from "../../driver/stack-config";
import { evaluate, render, type Contexts } from "./expressions";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  id?: string;
  name?: string;
}
interface Job {
  uses?: string;
  "runs-on"?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean | string };
  env?: Record<string, string>;
  steps?: Step[];
  strategy?: { matrix?: { include?: Record<string, string>[] } };
  "timeout-minutes"?: number;
  secrets?: unknown;
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const raw = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
// js-yaml reads `on:` as the key "on" (YAML 1.2 core schema), as GitHub does.
const workflows: Record<string, Workflow> = Object.fromEntries(
  files.map((f) => [f, yaml.load(raw(f)) as Workflow]),
);
const action = yaml.load(fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8")) as {
  runs: { steps: Step[] };
};

const allJobs = () =>
  Object.entries(workflows).flatMap(([file, wf]) =>
    Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })),
  );
const stepsOf = (job: Job) => job.steps ?? [];
const driverStep = (job: Job) => stepsOf(job).find((s) => /\bnpm run --silent driver -- /.test(s.run ?? ""));
const environmentOf = (job: Job) =>
  typeof job.environment === "object" ? job.environment.name : job.environment;

/** The driver's argv in a step's script, with the job's and step's variables put in. */
function driverArgs(run: string, vars: Record<string, string>): string[] {
  const command = run
    .replace(/\\\n/g, " ")
    .split(/\bnpm run --silent driver -- /)[1]
    .split(/\s>\s|\n/)[0];
  const substitute = (text: string) =>
    text.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, v: string) => vars[v] ?? "");
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) =>
    m[2] !== undefined ? m[2] : substitute(m[1] ?? m[3]),
  );
}

/** The contexts a job sees for one triggering event (a pull request number, or dispatch inputs). */
function contextsFor(
  event: { pr?: number; inputs?: Record<string, string> },
  matrix?: Record<string, string>,
): Contexts {
  return {
    github: {
      event_name: event.pr !== undefined ? "pull_request" : "workflow_dispatch",
      event: event.pr !== undefined ? { pull_request: { number: event.pr } } : {},
      sha: "0123456789abcdef0123456789abcdef01234567",
      run_id: "42",
    },
    inputs: event.inputs ?? {},
    matrix,
    vars: {},
    secrets: {},
    needs: {},
  };
}

/** The driver command a job runs for these contexts, or undefined when the driver refuses the input. */
function driverCommand(job: Job, contexts: Contexts): ReturnType<typeof parseCommand> | undefined {
  const step = driverStep(job);
  if (!step?.run) return undefined;
  const vars = Object.fromEntries(
    Object.entries({ ...job.env, ...step.env }).map(([k, v]) => [k, render(String(v), contexts)]),
  );
  try {
    const command = parseCommand(driverArgs(step.run, vars), {});
    // The driver's next check: a stack other than pr-<n> needs its settings file (exit 2 otherwise).
    if (command.kind === "stack" && !isEphemeralStack(command.stack)) {
      checkStackSettings(command.stack, fs.readdirSync(ROOT));
    }
    return command;
  } catch (err) {
    if (err instanceof DriverError) return undefined;
    throw err;
  }
}

/** The stack the driver runs on for these contexts, or undefined when the driver refuses the input. */
function driverStack(job: Job, contexts: Contexts): string | undefined {
  const command = driverCommand(job, contexts);
  return command?.kind === "stack" || command?.kind === "ephemeral" ? command.stack : undefined;
}

type Event = { pr?: number; inputs?: Record<string, string> };
const PR_EVENTS: Event[] = [{ pr: 1 }, { pr: 42 }, { pr: 90817 }];
const INPUT_VALUES: Record<string, string[]> = {
  pr: ["7", "42", "007", "pr-7", "#7", " 7", "7 ", "abc", "", "1e3"],
  stack: ["dev", "prod", "pr-12", "pr-007", "staging", "dev prod"],
  ttl: ["24h", "90m", ""],
};

/**
 * The events a job can run for: its workflow's triggers (a pull request, each odd dispatch input, a
 * schedule), less dispatches when the job's condition requires a pull request.
 */
function eventsFor(wf: Workflow, job: Job): Event[] {
  const events: Event[] = [];
  if ("pull_request" in wf.on) events.push(...PR_EVENTS);
  if ("schedule" in wf.on || "push" in wf.on) events.push({ inputs: {} });
  const dispatch = wf.on.workflow_dispatch as { inputs?: Record<string, unknown> } | null | undefined;
  const prOnly = /^\s*github\.event_name == 'pull_request' &&/.test(job.if ?? "");
  if ("workflow_dispatch" in wf.on && !prOnly) {
    const names = Object.keys(dispatch?.inputs ?? {});
    events.push({ inputs: {} });
    for (const name of names) {
      for (const value of INPUT_VALUES[name] ?? ["x"]) events.push({ inputs: { [name]: value } });
    }
  }
  return events;
}

describe("ci: the workflows' rules (parsed YAML)", () => {
  it("finds the workflows this suite is about", () => {
    for (const f of ["ci.yml", "deploy.yml", "test.yml", "sweep.yml", "drift.yml", "recover.yml"]) {
      assert.ok(files.includes(f), f);
    }
  });

  it("every action from another repository is pinned by full commit SHA, with its version in a comment", () => {
    const uses = [
      ...allJobs().flatMap(({ file, job }) => stepsOf(job).map((s) => ({ file, uses: s.uses }))),
      ...action.runs.steps.map((s) => ({ file: "actions/setup/action.yml", uses: s.uses })),
    ].filter((u): u is { file: string; uses: string } => u.uses !== undefined && !u.uses.startsWith("./"));
    assert.ok(uses.length >= 10);
    const texts = [
      ...files.map(raw),
      fs.readFileSync(path.join(ROOT, ".github/actions/setup/action.yml"), "utf8"),
    ].join("\n");
    for (const { file, uses: ref } of uses) {
      assert.match(
        ref,
        /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/,
        `${file}: ${ref} is not pinned by commit SHA`,
      );
      const line = texts.split("\n").find((l) => l.includes(ref));
      assert.match(line ?? "", /@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/, `${file}: ${ref} has no version comment`);
    }
    // One SHA per action across the files: Dependabot bumps them together.
    const shaOf = new Map<string, Set<string>>();
    for (const { uses: ref } of uses) {
      const [name, sha] = ref.split("@");
      shaOf.set(name, (shaOf.get(name) ?? new Set()).add(sha));
    }
    for (const [name, shas] of shaOf) assert.equal(shas.size, 1, `${name} pinned at ${[...shas].join(", ")}`);
  });

  it("no pull_request_target; the workflow token is read-only by default; every job states its permissions", () => {
    for (const [file, wf] of Object.entries(workflows)) {
      assert.ok(!("pull_request_target" in wf.on), file);
      assert.deepEqual(wf.permissions, { contents: "read" }, `${file}: top-level permissions`);
      assert.equal(
        wf.env,
        undefined,
        `${file}: no workflow-wide env (secrets go to the jobs that need them)`,
      );
      for (const [id, job] of Object.entries(wf.jobs)) {
        if (job.uses) {
          assert.ok(
            job.uses.startsWith("./.github/workflows/"),
            `${file}/${id}: local reusable workflow only`,
          );
          assert.equal(job.secrets, undefined, `${file}/${id}: no secrets handed to a reusable workflow`);
          continue;
        }
        assert.ok(job.permissions, `${file}/${id}: no permissions block`);
        assert.equal(job.permissions.contents, "read", `${file}/${id}`);
        assert.ok(job["timeout-minutes"], `${file}/${id}: no timeout`);
      }
    }
  });

  it("write permissions only where used: an OIDC token only in a job with an environment; comments only with a script that posts them", () => {
    for (const { file, id, job } of allJobs()) {
      if (job.uses) continue;
      const perms = job.permissions ?? {};
      const assumesRole = stepsOf(job).some((s) =>
        s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
      );
      assert.equal(
        perms["id-token"] === "write",
        assumesRole,
        `${file}/${id}: id-token write iff it assumes a role`,
      );
      if (assumesRole) assert.ok(job.environment, `${file}/${id}: assumes a role outside any environment`);
      const scripted = stepsOf(job).some((s) => s.uses?.startsWith("actions/github-script@"));
      for (const scope of ["pull-requests", "issues"]) {
        if (perms[scope] === "write") assert.ok(scripted, `${file}/${id}: ${scope} write without a script`);
      }
      for (const [scope, level] of Object.entries(perms)) {
        if (!["contents", "id-token", "pull-requests", "issues"].includes(scope))
          assert.fail(`${file}/${id}: ${scope}`);
        if (scope === "contents") assert.equal(level, "read", `${file}/${id}`);
      }
    }
  });

  it("secrets only in the jobs that run the driver, as job env, never inside a script", () => {
    for (const { file, id, job } of allJobs()) {
      const text = JSON.stringify(job);
      const usesSecrets = /secrets\./.test(text);
      if (usesSecrets) {
        assert.ok(driverStep(job), `${file}/${id} sees a secret but runs no driver`);
        const inEnv = Object.entries(job.env ?? {}).filter(([, v]) => /secrets\./.test(String(v)));
        assert.deepEqual(
          inEnv.map(([k, v]) => [k, v]),
          [["PULUMI_ACCESS_TOKEN", "${{ secrets.PULUMI_ACCESS_TOKEN }}"]],
          `${file}/${id}`,
        );
        assert.ok(!/secrets\./.test(JSON.stringify(job.steps)), `${file}/${id}: a secret inside a step`);
      }
      if (driverStep(job))
        assert.ok(job.env?.PULUMI_BACKEND_URL, `${file}/${id}: the backend is chosen by vars`);
    }
  });

  it("no expression is pasted into a script: inputs and event fields reach `run` through env", () => {
    for (const { file, id, job } of allJobs()) {
      for (const step of stepsOf(job))
        assert.ok(!/\$\{\{/.test(step.run ?? ""), `${file}/${id}: ${step.run}`);
    }
    for (const step of action.runs.steps) assert.ok(!/\$\{\{\s*inputs\./.test(step.run ?? ""), step.run);
  });

  it("checkouts keep no credentials; every job assuming a role names it from its environment's variables", () => {
    for (const { file, id, job } of allJobs()) {
      for (const step of stepsOf(job)) {
        if (step.uses?.startsWith("actions/checkout@"))
          assert.equal(step.with?.["persist-credentials"], false, `${file}/${id}`);
        if (step.uses?.startsWith("aws-actions/configure-aws-credentials@")) {
          assert.equal(step.with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}", `${file}/${id}`);
          assert.equal(step.with?.["aws-region"], "${{ vars.AWS_REGION }}", `${file}/${id}`);
        }
      }
    }
  });

  // What each kind of driver run may touch decides its environment (each environment's role trusts it alone).
  const ENVIRONMENT_FOR: Array<[RegExp, string[]]> = [
    [/^ephemeral$|^sweep$|^pr-\d+ (destroy|recover)$/, ["pr"]],
    [/^dev (up|destroy|recover)$/, ["dev"]],
    [/^prod (up|destroy|recover)$/, ["production"]],
    [/^dev (preview|refresh)$/, ["dev-preview"]],
    [/^prod (preview|refresh)$/, ["production-preview"]],
  ];
  it("every job that runs the driver has the environment of what it touches, for every input", () => {
    let checked = 0;
    for (const { file, id, job } of allJobs()) {
      const step = driverStep(job);
      if (!step?.run) continue;
      const matrices = job.strategy?.matrix?.include ?? [undefined];
      for (const matrix of matrices) {
        for (const event of eventsFor(workflows[file], job)) {
          const contexts = contextsFor(event, matrix);
          const env = environmentOf(job);
          assert.ok(env, `${file}/${id}: no environment`);
          const environment = render(env, contexts);
          const command = driverCommand(job, contexts);
          if (!command) continue; // the driver refuses this input: nothing runs
          const what =
            command.kind === "stack"
              ? `${command.stack} ${command.operation}`
              : command.kind === "ephemeral" || command.kind === "sweep"
                ? command.kind
                : "";
          const rule = ENVIRONMENT_FOR.find(([pattern]) => pattern.test(what));
          assert.ok(rule, `${file}/${id}: no rule for "${what}"`);
          assert.ok(
            rule[1].includes(environment),
            `${file}/${id}: "${what}" runs in environment "${environment}"`,
          );
          checked++;
        }
      }
    }
    assert.ok(checked > 40, `${checked}`);
  });

  it("a job's concurrency group is the driver's stack name for the same input (one update per stack)", () => {
    let compared = 0;
    for (const { file, id, job } of allJobs()) {
      const step = driverStep(job);
      if (!step || /driver -- sweep/.test(step.run ?? "")) continue;
      for (const matrix of job.strategy?.matrix?.include ?? [undefined]) {
        for (const event of eventsFor(workflows[file], job)) {
          const contexts = contextsFor(event, matrix);
          const stack = driverStack(job, contexts);
          const command = driverCommand(job, contexts);
          if (stack === undefined || !command) continue;
          const group = render(job.concurrency?.group ?? "", contexts);
          if (command.kind === "stack" && command.operation === "refresh" && command.options.previewOnly) {
            continue; // a preview-only refresh takes no lock and may run beside anything
          }
          if (command.kind === "stack" && command.operation === "preview" && !command.options.savePlan) {
            assert.notEqual(group, stack, `${file}/${id}: a throw-away preview needs no stack slot`);
            continue;
          }
          assert.equal(group, stack, `${file}/${id} for ${JSON.stringify(event)}`);
          assert.ok(
            [false, "false"].includes(job.concurrency?.["cancel-in-progress"] ?? false),
            `${file}/${id}`,
          );
          compared++;
        }
      }
    }
    assert.ok(compared > 20, `${compared}`);
  });

  it("the PR workflow's groups agree with the driver for pull requests and for odd dispatch inputs", () => {
    const { ephemeral, cleanup } = workflows["ci.yml"].jobs;
    for (const pr of [1, 42, 1234567890]) {
      assert.equal(render(ephemeral.concurrency!.group, contextsFor({ pr })), `pr-${pr}`);
      assert.equal(render(cleanup.concurrency!.group, contextsFor({ pr })), `pr-${pr}`);
      assert.equal(driverStack(ephemeral, contextsFor({ pr })), `pr-${pr}`);
    }
    // Input the workflow would have grouped as pr-007 or pr-pr-7: the driver refuses it, so nothing runs.
    for (const pr of ["007", "pr-7", "#7", " 7"])
      assert.equal(driverStack(ephemeral, contextsFor({ inputs: { pr } })), undefined, pr);
  });

  it("the sweeper runs at least daily, destroys pr stacks past a TTL and retries a locked one", () => {
    const wf = workflows["sweep.yml"];
    const schedule = wf.on.schedule as { cron: string }[];
    assert.equal(schedule.length, 1);
    const [minute, hour, dom, month, dow] = schedule[0].cron.split(" ");
    assert.match(minute, /^\d{1,2}$/);
    assert.ok(Number(minute) < 60);
    assert.match(hour, /^(\*|\*\/\d+|\d+(,\d+)*)$/);
    assert.deepEqual([dom, month, dow], ["*", "*", "*"], "every day");
    const runsPerDay =
      hour === "*"
        ? 24
        : hour.startsWith("*/")
          ? Math.ceil(24 / Number(hour.slice(2)))
          : hour.split(",").length;
    const job = wf.jobs.sweep;
    const step = driverStep(job)!;
    const args = driverArgs(step.run!, { TTL: render(job.env!.TTL, contextsFor({ inputs: {} })) });
    const command = parseCommand(args, {});
    assert.equal(command.kind, "sweep");
    if (command.kind !== "sweep") return;
    assert.equal(command.ttlMs, parseTtl("24h"));
    assert.ok(
      command.retries >= 1 && command.retryDelayMs >= 30_000,
      "retries on a locked stack, with time between",
    );
    assert.ok(
      86_400_000 / runsPerDay <= command.ttlMs,
      "a stale stack waits at most one interval past its TTL",
    );
    assert.equal(environmentOf(job), "pr");
  });

  it("prod: its preview is saved as a plan before the gate, and the gated job applies exactly that plan with the same images", () => {
    const { jobs } = workflows["deploy.yml"];
    const gated = Object.entries(jobs).filter(([, j]) => environmentOf(j) === "production");
    assert.equal(gated.length, 1, "one job behind the production environment");
    const [gateId, gate] = gated[0];
    const up = parseCommand(driverArgs(driverStep(gate)!.run!, {}), {});
    assert.ok(
      up.kind === "stack" && up.stack === "prod" && up.operation === "up" && up.options.plan,
      "prod up --plan",
    );
    if (up.kind !== "stack") return;
    const needs = [gate.needs ?? []].flat();
    const previewId = needs.find((n) => /--save-plan/.test(driverStep(jobs[n])?.run ?? ""));
    assert.ok(previewId, `${gateId} needs the job that saves prod's plan`);
    const previewJob = jobs[previewId];
    const preview = parseCommand(driverArgs(driverStep(previewJob)!.run!, {}), {});
    assert.ok(preview.kind === "stack" && preview.stack === "prod" && preview.operation === "preview");
    if (preview.kind !== "stack") return;
    assert.equal(preview.options.savePlan, up.options.plan, "the plan saved is the plan applied");
    assert.notEqual(environmentOf(previewJob), "production", "the preview runs before the approval");
    // The plan travels as an artifact from the preview job to the gated one.
    const uploaded = stepsOf(previewJob).find(
      (s) =>
        s.uses?.startsWith("actions/upload-artifact@") &&
        String(s.with?.path).includes(preview.options.savePlan!),
    );
    assert.ok(uploaded, "the preview job uploads the plan");
    const downloaded = stepsOf(gate).find((s) => s.uses?.startsWith("actions/download-artifact@"));
    assert.equal(downloaded?.with?.name, uploaded.with?.name);
    const downloadAt = stepsOf(gate).indexOf(downloaded!);
    assert.ok(downloadAt < stepsOf(gate).indexOf(driverStep(gate)!));
    // The same overrides (the images dev was deployed with) in preview and up; they come from the build.
    assert.deepEqual(up.options.overrides, preview.options.overrides);
    assert.deepEqual(
      up.options.overrides.map((o) => o.key),
      ["helloImage", "nameImage"],
    );
    for (const job of [gate, previewJob, jobs.dev]) {
      assert.equal(job.env?.HELLO_IMAGE, "${{ needs.build.outputs.hello }}");
      assert.equal(job.env?.NAME_IMAGE, "${{ needs.build.outputs.name }}");
    }
    const dev = parseCommand(driverArgs(driverStep(jobs.dev)!.run!, {}), {});
    assert.ok(dev.kind === "stack");
    if (dev.kind === "stack")
      assert.deepEqual(dev.options.overrides, up.options.overrides, "dev ran the same digests");
    // The preview shows in the run's summary, where reviewers approve.
    assert.ok(
      stepsOf(previewJob).some(
        (s) => /GITHUB_STEP_SUMMARY/.test(s.run ?? "") && /changeSummary/.test(s.run ?? ""),
      ),
    );
  });

  it("the images are built once per commit, in their own environment, and reused when already pushed", () => {
    const build = workflows["deploy.yml"].jobs.build;
    assert.equal(environmentOf(build), "build");
    const script = stepsOf(build)
      .map((s) => s.run ?? "")
      .join("\n");
    assert.match(script, /describe-images .*imageTag=\$SHA/);
    assert.match(script, /docker buildx build --platform linux\/amd64 .*--push/);
    assert.equal(
      render(build.concurrency!.group, contextsFor({})),
      "build-0123456789abcdef0123456789abcdef01234567",
    );
  });

  it("drift is checked nightly for both stacks with a preview-only refresh that reports", () => {
    const wf = workflows["drift.yml"];
    assert.ok((wf.on.schedule as { cron: string }[]).length === 1);
    const job = wf.jobs.drift;
    const stacks = job.strategy!.matrix!.include!.map((m) => driverStack(job, contextsFor({}, m)));
    assert.deepEqual(stacks, ["dev", "prod"]);
    const command = parseCommand(driverArgs(driverStep(job)!.run!, { STACK: "prod" }), {});
    assert.ok(command.kind === "stack" && command.operation === "refresh" && command.options.previewOnly);
    assert.ok(
      stepsOf(job).some(
        (s) => s.uses?.startsWith("actions/github-script@") && /issues\.create/.test(String(s.with?.script)),
      ),
    );
  });

  it("the Pulumi CLI and the provider plugins are cached", () => {
    const cached = action.runs.steps
      .filter((s) => s.uses?.startsWith("actions/cache@"))
      .map((s) => String(s.with?.path));
    assert.deepEqual(cached, ["~/.pulumi/versions/${{ steps.pin.outputs.version }}", "~/.pulumi/plugins"]);
  });

  it("Dependabot bumps the actions and every npm lockfile; CODEOWNERS guards the policy pack and the pipeline", () => {
    const dependabot = yaml.load(fs.readFileSync(path.join(ROOT, ".github/dependabot.yml"), "utf8")) as {
      updates: { "package-ecosystem": string; directories: string[] }[];
    };
    const dirs = (ecosystem: string) =>
      dependabot.updates.filter((u) => u["package-ecosystem"] === ecosystem).flatMap((u) => u.directories);
    assert.ok(dirs("github-actions").includes("/"));
    assert.ok(dirs("github-actions").includes("/.github/actions/setup"));
    for (const lock of [
      "package-lock.json",
      "apps/hello/package-lock.json",
      "apps/name/package-lock.json",
      "policy/package-lock.json",
    ]) {
      assert.ok(fs.existsSync(path.join(ROOT, lock)), lock);
      assert.ok(dirs("npm").includes(`/${path.dirname(lock)}`.replace(/\/\.$/, "/")), lock);
    }
    const owners = fs.readFileSync(path.join(ROOT, ".github/CODEOWNERS"), "utf8");
    for (const p of ["/policy/", "/.github/"])
      assert.match(owners, new RegExp(`^${p.replace(/\./g, "\\.")}\\s+@\\S+`, "m"));
  });

  it("the expression reader: GitHub's operators as the workflows use them", () => {
    const c: Contexts = {
      inputs: { stack: "prod", pr: "" },
      github: { event: { pull_request: { number: 7 } } },
    };
    assert.equal(evaluate("inputs.stack == 'PROD'", c), true);
    assert.equal(evaluate("inputs.stack == 'prod' && 'production' || 'pr'", c), "production");
    assert.equal(evaluate("inputs.pr || 'x'", c), "x");
    assert.equal(evaluate("github.event.pull_request.number || inputs.pr", c), 7);
    assert.equal(render("pr-${{ github.event.pull_request.number }}", c), "pr-7");
    assert.throws(() => evaluate("contains(inputs.stack, 'p')", c), /cannot read|unexpected/);
  });
});
