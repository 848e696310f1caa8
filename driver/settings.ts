import * as fs from "fs";
import * as path from "path";
import { UsageError } from "./errors";

/** The short stack name a `Pulumi.<name>.yaml` file uses (`org/project/dev` → `dev`). */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack.split("/").pop()}.yaml`;
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

export function listProjectFiles(projectDir: string): string[] {
  return fs.readdirSync(projectDir);
}

/** The project name and the config keys Pulumi.yaml declares (its top-level `config:` block), if any. */
export function projectConfigSchema(pulumiYaml: string): {
  project: string | undefined;
  declared: string[] | undefined;
} {
  const project = /^name:\s*["']?([^"'\s#]+)/m.exec(pulumiYaml)?.[1];
  const lines = pulumiYaml.split(/\r?\n/);
  const start = lines.findIndex((l) => /^config:\s*(#.*)?$/.test(l));
  if (start < 0) return { project, declared: undefined };
  const declared: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // the next top-level key ends the block
    const key = /^ {2}["']?([A-Za-z0-9_.:-]+)["']?:/.exec(line)?.[1];
    if (key) declared.push(key);
  }
  return { project, declared };
}

/**
 * With a config schema in Pulumi.yaml the CLI rejects undeclared project keys mid-run; catch a
 * mistyped `--config` or an `--image-tag` the program does not read before anything runs.
 */
export function checkOverridesDeclared(keys: readonly string[], pulumiYaml: string): void {
  const { project, declared } = projectConfigSchema(pulumiYaml);
  if (!declared || !project) return;
  for (const key of keys) {
    const colon = key.indexOf(":");
    const keyProject: string = colon >= 0 ? key.slice(0, colon) : project;
    const name: string = colon >= 0 ? key.slice(colon + 1) : key;
    if (keyProject !== project) continue; // provider keys (aws:region) are the provider's business
    if (!declared.includes(name) && !declared.includes(`${project}:${name}`)) {
      throw new UsageError(
        `config override "${key}": Pulumi.yaml declares no such key; declared: ${declared.join(", ")}`,
      );
    }
  }
}

export function readProjectFile(projectDir: string): string {
  return fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8");
}
