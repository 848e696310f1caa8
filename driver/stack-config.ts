import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { placeholderMessage, placeholdersIn } from "../program/placeholders";
import type { ConfigOverride } from "./args";
import { UsageError } from "./errors";

/** The project root: the driver runs Pulumi on this directory (Pulumi.yaml, Pulumi.<stack>.yaml). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The short stack name a `Pulumi.<name>.yaml` file uses (`org/project/dev` → `dev`). */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack.split("/").pop()}.yaml`;
}

/**
 * Ephemeral stacks are `pr-<number>`: the only stacks a run may create. They have no committed
 * settings file and are always removed after destroy.
 */
export function isEphemeralStack(stack: string): boolean {
  return /^pr-[1-9][0-9]{0,9}$/.test(stack.split("/").pop() ?? "");
}

/** The settings file's parts a run checks before anything else: the region and the secrets provider. */
export interface StackFileFacts {
  file: string;
  region: string | undefined;
  secretsProvider?: string;
  encryptionSalt?: string;
}

export function readStackFacts(stack: string, projectDir: string = PROJECT_DIR): StackFileFacts {
  const file = stackFileName(stack);
  const doc = (yaml.load(fs.readFileSync(path.join(projectDir, file), "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
    secretsprovider?: unknown;
    encryptionsalt?: unknown;
  };
  const region = doc.config?.["aws:region"];
  return {
    file,
    region: typeof region === "string" && region !== "" ? region : undefined,
    secretsProvider: typeof doc.secretsprovider === "string" ? doc.secretsprovider : undefined,
    encryptionSalt: typeof doc.encryptionsalt === "string" ? doc.encryptionsalt : undefined,
  };
}

/**
 * A stack deploys only to the region its settings file names. The AWS credentials action exports
 * AWS_REGION in every job; it must agree, or the run stops before anything is created (the SDK
 * calls the driver makes itself, and any tool reading the environment, would go elsewhere).
 */
export function checkRegion(
  facts: StackFileFacts,
  env: Readonly<Record<string, string | undefined>>,
): string {
  if (!facts.region) {
    throw new UsageError(
      `${facts.file} names no aws:region: a stack deploys only to the region its file names`,
    );
  }
  for (const variable of ["AWS_REGION", "AWS_DEFAULT_REGION"]) {
    const ambient = env[variable];
    if (ambient && ambient !== facts.region) {
      throw new UsageError(
        `region mismatch: ${variable}=${ambient} in the environment, but ${facts.file} deploys to aws:region=${facts.region}; ` +
          `nothing was created. Set ${variable}=${facts.region} (in CI: the environment's AWS_REGION variable) or unset it`,
      );
    }
  }
  return facts.region;
}

/** Stacks that have a settings file in the project directory. */
export function stacksWithSettings(fileNames: readonly string[]): string[] {
  return fileNames
    .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * The stack files are the source of settings: a stack without its Pulumi.<stack>.yaml is almost
 * certainly a typo (`prdo`), and creating it would deploy a whole new environment.
 */
export function checkStackSettings(stack: string, fileNames: readonly string[]): void {
  if (!fileNames.includes("Pulumi.yaml")) {
    throw new UsageError(
      "no Pulumi.yaml in the project directory: the driver runs the program of this repository",
    );
  }
  const file = stackFileName(stack);
  if (!fileNames.includes(file)) {
    const known = stacksWithSettings(fileNames);
    throw new UsageError(
      `no ${file}: unknown stack "${stack}"; stacks with settings here: ${known.length ? known.join(", ") : "(none)"}`,
    );
  }
}

/** What the driver needs of Pulumi.yaml: the project name and the keys its `config:` block declares. */
export interface ProjectSchema {
  project: string;
  /** Undefined when Pulumi.yaml declares no config block (then the CLI accepts any key). */
  declared: string[] | undefined;
}

export function readProjectSchema(projectDir: string = PROJECT_DIR): ProjectSchema {
  const doc = yaml.load(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
    name?: unknown;
    config?: unknown;
  };
  const { name, config } = doc ?? {};
  if (typeof name !== "string") throw new UsageError("Pulumi.yaml has no project name");
  const declared = config && typeof config === "object" ? Object.keys(config) : undefined;
  return { project: name, declared };
}

/** `nameDesiredCount` → `ecs-cloudmap-consul:nameDesiredCount`, the form stack files and the CLI store. */
export function qualifiedKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * With a config schema in Pulumi.yaml the CLI rejects undeclared project keys mid-run; catch a
 * mistyped `--config` or an `--image-tag` the program does not read before anything runs.
 */
export function checkOverridesDeclared(keys: readonly string[], { project, declared }: ProjectSchema): void {
  if (!declared) return;
  for (const key of keys) {
    const [keyProject, name] = qualifiedKey(key, project).split(/:(.*)/);
    if (keyProject !== project) continue; // provider keys (aws:region) are the provider's business
    if (!declared.includes(name) && !declared.includes(`${project}:${name}`)) {
      throw new UsageError(
        `config override "${key}": Pulumi.yaml declares no such key; declared: ${declared.join(", ")}`,
      );
    }
  }
}

/** Overrides as the Automation API's config map (plain values: an override is never a secret). */
export function overridesConfig(overrides: readonly ConfigOverride[], project: string): ConfigMap {
  return Object.fromEntries(
    overrides.map((o) => [qualifiedKey(o.key, project), { value: o.value, secret: false }]),
  );
}

/**
 * Config for one run, without editing the committed stack file: a copy of Pulumi.<stack>.yaml
 * with the overrides set, in a temporary directory, for the operations' `configFile` option
 * (`--config-file`). The whole file is copied because the CLI takes the secrets provider from the
 * file it is given (without it, it would write a new salt there: pulumi/pulumi#11220). Nothing to
 * undo: `remove()` deletes the copy. Without overrides there is no copy: the stack's own file is used.
 */
export function writeRunConfig(
  stack: string,
  overrides: readonly ConfigOverride[],
  project: string,
  projectDir: string = PROJECT_DIR,
): { file: string; remove: () => void } | undefined {
  if (overrides.length === 0) return undefined;
  const committed = path.join(projectDir, stackFileName(stack));
  // A leftover ephemeral stack has no file here: its overrides are its whole config.
  const doc = fs.existsSync(committed)
    ? ((yaml.load(fs.readFileSync(committed, "utf8")) as Record<string, unknown> | null) ?? {})
    : {};
  const config = { ...(doc.config as Record<string, unknown> | undefined) };
  for (const o of overrides) config[qualifiedKey(o.key, project)] = o.value;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "driver-config-"));
  const file = path.join(dir, stackFileName(stack));
  fs.writeFileSync(file, yaml.dump({ ...doc, config }), { mode: 0o600 });
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The settings a run deploys, as text: the stack file's `config:` with the overrides applied, keys
 * project-qualified. A secret (`{ secure: … }`) is left out: its ciphertext is never a placeholder.
 */
export function runSettings(
  stack: string,
  overrides: readonly ConfigOverride[],
  project: string,
  projectDir: string = PROJECT_DIR,
): Record<string, string> {
  const file = path.join(projectDir, stackFileName(stack));
  const doc = fs.existsSync(file)
    ? ((yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null) ?? {})
    : {};
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.config ?? {}))
    if (typeof value !== "object" || value === null) settings[qualifiedKey(key, project)] = String(value);
  for (const o of overrides) settings[qualifiedKey(o.key, project)] = o.value;
  return settings;
}

/**
 * Placeholders left in the settings (program/placeholders.ts): `up` (and an ephemeral stack's
 * up) stops before anything runs, naming each setting (exit 2); a preview goes ahead with a
 * warning; refresh and destroy never create anything and are not stopped.
 * @returns the warning to print, if any
 */
export function checkPlaceholders(
  operation: string,
  settings: Readonly<Record<string, string>>,
): string | undefined {
  const found = placeholdersIn(settings);
  if (found.length === 0) return undefined;
  if (operation === "up") throw new UsageError(placeholderMessage(found, "up"));
  return operation === "preview" ? `warning: ${placeholderMessage(found, "preview")}` : undefined;
}
