// `npm run images`: the base image, both app images, the container topology and its checks,
// each step timed. Exit 0: every check passed; 1: a check failed; 2: bad flags; 3: no Docker
// engine, or the base image cannot be made.
import exit from "exit-x";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureBaseImage } from "./base-image";
import { APPS, PROGRAM_DIR, buildAppImage, imageSize, humanSize, type BuiltImage } from "./build";
import {
  appFiles,
  containerSecurity,
  drainProblems,
  drainUnderLoad,
  healthOf,
  imageContentProblems,
  imageUid,
  npmLeftovers,
  securityProblems,
  type Lockfile,
} from "./checks";
import { runLoad } from "../local/closed-loop-load";
import { parseImagesArgs, USAGE, type ImagesOptions } from "./cli-args";
import { startContainerTopology, type ContainerTopology } from "./containers";
import { engineStatus, pickBuilder } from "./docker";
import { portIsFree } from "../local/net-util";

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface CheckOutcome {
  name: string;
  problems: string[];
  ms: number;
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const result = await work();
  say(`  ${label}: ${seconds(Date.now() - t0)}`);
  return result;
}

async function check(outcomes: CheckOutcome[], name: string, work: () => Promise<string[]>): Promise<void> {
  const t0 = Date.now();
  let problems: string[];
  try {
    problems = await work();
  } catch (err) {
    problems = [(err as Error).message];
  }
  const ms = Date.now() - t0;
  outcomes.push({ name, problems, ms });
  say(`${problems.length === 0 ? "PASS" : "FAIL"}  ${name} (${seconds(ms)})`);
  for (const p of problems) say(`      ${p}`);
}

async function runChecks(
  topology: ContainerTopology,
  images: BuiltImage[],
  tasks: number,
): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  await check(outcomes, `hello answers from all ${tasks} name tasks`, async () => {
    const r = await runLoad(topology.helloUrl, {
      concurrency: 4,
      durationMs: 10_000,
      maxRequests: 20 * tasks,
    });
    const missing = topology
      .tasks()
      .map((t) => t.id)
      .filter((id) => !r.byTask[id]);
    say(`      answers by task: ${JSON.stringify(r.byTask)}`);
    return [
      ...r.failures.slice(0, 3).map((f) => `failed: ${f}`),
      ...(missing.length > 0 ? [`no answer from ${missing.join(", ")}`] : []),
    ];
  });
  await check(outcomes, "every container runs non-root with a read-only root filesystem", async () => {
    const all = await Promise.all(topology.containers().map(containerSecurity));
    say(`      ${all.map((s) => `${s.container}: uid ${s.uid}, read-only ${s.readOnlyRootfs}`).join("; ")}`);
    return all.flatMap(securityProblems);
  });
  await check(outcomes, "the images' own USER is unprivileged (uid 1000)", async () => {
    const uids = await Promise.all(images.map(async (i) => [i.app, await imageUid(i.ref)] as const));
    return uids.filter(([, uid]) => uid !== 1000).map(([app, uid]) => `${app} image runs as uid ${uid}`);
  });
  await check(outcomes, "the Dockerfile HEALTHCHECK reports healthy", async () => {
    const health = await Promise.all(topology.containers().map(async (c) => [c, await healthOf(c)] as const));
    return health
      .filter(([, h]) => h.status !== "healthy")
      .map(([c, h]) => `${c} is ${h.status} after ${h.probes} probes`);
  });
  await check(
    outcomes,
    "no dev dependencies, TypeScript sources, source maps or npm caches in the images",
    async () => {
      const problems: string[] = [];
      for (const image of images) {
        const lock = JSON.parse(
          fs.readFileSync(path.join(PROGRAM_DIR, image.spec.context, "package-lock.json"), "utf8"),
        ) as Lockfile;
        const files = await appFiles(image.ref);
        say(
          `      ${image.app}: ${files.filter((f) => !f.startsWith("node_modules/")).length} files of its own under /app`,
        );
        problems.push(...imageContentProblems(files, lock).map((p) => `${image.app}: ${p}`));
        const leftovers = await npmLeftovers(image.ref);
        if (leftovers.length > 0)
          problems.push(`${image.app}: npm cache or logs left behind: ${leftovers.slice(0, 5).join(", ")}`);
      }
      return problems;
    },
  );
  const victim = topology.tasks()[1]?.id ?? topology.tasks()[0].id;
  await check(
    outcomes,
    `docker stop ${victim} under load: drained, deregistered, zero failed requests`,
    async () => {
      const d = await drainUnderLoad(topology, victim, { concurrency: 8, durationMs: 6000 });
      say(
        `      ${d.load.ok} ok, ${d.load.failures.length} failed; ${victim} exit ${d.exitCode}, stop took ${seconds(d.stopMs)}, deregistered on ${d.deregisteredBy ?? "nothing"}; by task ${JSON.stringify(d.load.byTask)}`,
      );
      return drainProblems(d, victim);
    },
  );
  return outcomes;
}

async function main(options: ImagesOptions): Promise<number> {
  const started = Date.now();
  const busy = options.buildOnly ? undefined : await portProblem(options.port);
  if (busy) {
    process.stderr.write(`error: ${busy}\n`);
    return 2;
  }
  const engine = await engineStatus();
  if (!engine.ok) {
    process.stderr.write(
      `error: ${engine.reason}. Start the engine (e.g. \`sudo dockerd &\`) and try again.\n`,
    );
    return 3;
  }
  const builder = await pickBuilder();
  say(
    `Docker engine ${engine.version}, builder: ${builder === "legacy" ? "legacy (no BuildKit in this client)" : builder}`,
  );

  say("base image");
  let baseImage: string;
  if (options.baseImage) {
    baseImage = options.baseImage;
    say(`  ${baseImage} (from --base-image)`);
  } else {
    try {
      const base = await ensureBaseImage({ builder, verbose: options.verbose, log: (l) => say(`  ${l}`) });
      baseImage = base.ref;
      say(
        `  ${base.ref}: ${humanSize(await imageSize(base.ref))}, ${base.built ? "made" : "ready"} in ${seconds(base.ms)}`,
      );
    } catch (err) {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      return 3;
    }
  }

  say("app images (context, Dockerfile, platform and BASE_IMAGE from program/app-image.ts)");
  const images: BuiltImage[] = [];
  for (const app of APPS) {
    const image = await buildAppImage(app, {
      baseImage,
      builder,
      repository: "ecs-cloudmap-consul",
      verbose: options.verbose,
    });
    images.push(image);
    say(
      `  ${image.ref}: ${humanSize(image.sizeBytes)} (${humanSize(image.sizeBytes - (await imageSize(baseImage)))} above the base), built in ${seconds(image.ms)}`,
    );
  }
  if (options.buildOnly) {
    say(`done in ${seconds(Date.now() - started)}`);
    return 0;
  }

  say(`containers on a private network (prefix ${options.prefix})`);
  const topology = await timed("started, every HEALTHCHECK healthy", () =>
    startContainerTopology({
      prefix: options.prefix,
      images: {
        hello: images.find((i) => i.app === "hello")!.ref,
        name: images.find((i) => i.app === "name")!.ref,
      },
      nameTasks: options.tasks,
      helloPort: options.port,
      log: (l) => say(`  ${l}`),
    }),
  );
  let stopping = false;
  let failed: number | undefined;
  const teardown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await timed("containers and network removed", () => topology.stop());
  };
  // Ctrl-C ends --keep-running normally (the checks' result is the exit code); during the checks it interrupts.
  const onSignal = (): void =>
    void teardown().then(() => exit(failed === undefined ? 130 : failed === 0 ? 0 : 1));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    say(
      `hello: ${topology.helloUrl}   Cloud Map API: ${topology.apiUrl}   DNS: ${topology.cloudMap.ip}:53 on ${topology.network}`,
    );
    const outcomes = await runChecks(topology, images, options.tasks);
    failed = outcomes.filter((o) => o.problems.length > 0).length;
    say(`${outcomes.length - failed} of ${outcomes.length} checks passed`);
    if (options.keepRunning) {
      say(
        `\nrunning: curl ${topology.helloUrl}   docker stop ${options.prefix}-name-1 (drains, deregisters)   Ctrl-C removes everything`,
      );
      await new Promise<never>(() => undefined);
    }
  } finally {
    await teardown();
  }
  say(`done in ${seconds(Date.now() - started)}`);
  return failed === 0 ? 0 : 1;
}

async function portProblem(port: number): Promise<string | undefined> {
  if (port === 0 || (await portIsFree("127.0.0.1", port))) return undefined;
  return `--port ${port}: 127.0.0.1:${port} is already in use; choose another port, or --port 0 for a free one`;
}

const parsed = parseImagesArgs(process.argv.slice(2));
if (parsed.kind === "help") {
  process.stdout.write(USAGE);
  exit(0);
} else if (parsed.kind === "error") {
  process.stderr.write(`error: ${parsed.message}\n\n${USAGE}`);
  exit(2);
} else {
  // exit() once stdout and stderr have drained (a piped log arrives whole), whatever still runs.
  main(parsed.options).then(exit, (err: Error) => {
    process.stderr.write(`error: ${err.message}\n`);
    exit(1);
  });
}
