// Builds the app images the way the program's docker.Image resources do: the same context,
// Dockerfile, platform and build arguments, taken from appImageBuild() in program/app-image.ts.
import * as path from "node:path";
import { appImageBuild, type AppImageBuildSpec } from "../program/app-image";
import { builderEnv, docker, dockerOut, type Builder } from "./docker";

export const APPS = ["name", "hello"] as const;
export type App = (typeof APPS)[number];

/** The program's directory: docker.Image resolves context and Dockerfile from there. */
export const PROGRAM_DIR = path.resolve(__dirname, "..");

export interface BuiltImage {
  app: App;
  ref: string;
  spec: AppImageBuildSpec;
  sizeBytes: number;
  ms: number;
}

/** `docker build` arguments for a spec, exactly: nothing beyond what docker.Image passes but the tag. */
export function buildArgs(spec: AppImageBuildSpec, tag: string): string[] {
  const args = ["build", "--platform", spec.platform, "--file", spec.dockerfile, "--tag", tag];
  for (const [key, value] of Object.entries(spec.args)) args.push("--build-arg", `${key}=${value}`);
  return [...args, spec.context];
}

export async function buildAppImage(
  app: App,
  options: { baseImage: string; builder: Builder; repository: string; verbose?: boolean },
): Promise<BuiltImage> {
  const started = Date.now();
  const spec = appImageBuild(app, options.baseImage);
  const ref = `${options.repository}/${app}:local`;
  const previous = await imageId(ref);
  await docker(buildArgs(spec, ref), {
    cwd: PROGRAM_DIR,
    env: builderEnv(options.builder),
    verbose: options.verbose,
  });
  // The image this tag named before is left untagged: remove it rather than pile them up.
  if (previous && previous !== (await imageId(ref)))
    await docker(["image", "rm", previous]).catch(() => undefined);
  return { app, ref, spec, sizeBytes: await imageSize(ref), ms: Date.now() - started };
}

async function imageId(ref: string): Promise<string | undefined> {
  return dockerOut(["image", "inspect", "--format", "{{.Id}}", ref]).catch(() => undefined);
}

export async function imageSize(ref: string): Promise<number> {
  return Number(await dockerOut(["image", "inspect", "--format", "{{.Size}}", ref]));
}

/** Sizes as `docker images` shows them (decimal units). */
export function humanSize(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}
