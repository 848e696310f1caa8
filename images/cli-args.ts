// Flags of `npm run images`, parsed and validated without side effects.
import { parseArgs } from "node:util";
import { wholeNumberFlag } from "../local/cli/args";

export interface ImagesOptions {
  /** Build the base and app images, then stop. */
  buildOnly: boolean;
  /** After the checks, leave the containers running until Ctrl-C. */
  keepRunning: boolean;
  /** BASE_IMAGE to build with instead of the local debootstrap image. */
  baseImage?: string;
  tasks: number;
  /** hello's port on 127.0.0.1; 0 = a free one. */
  port: number;
  /** Prefix of container and network names. */
  prefix: string;
  verbose: boolean;
}

export type ImagesParse =
  { kind: "run"; options: ImagesOptions } | { kind: "help" } | { kind: "error"; message: string };

export const USAGE = `Usage: npm run images -- [options]

Builds the name, hello and forwarder images as the program's docker.Image resources do (same context,
Dockerfile, linux/amd64, BASE_IMAGE), on a local Debian bookworm + Node 24 base image made with
debootstrap (cached), then runs the local topology as containers on a private Docker network and
checks it: answers from every name task, non-root + read-only root filesystem, HEALTHCHECK healthy,
a drained docker stop under load, no dev dependencies or build-stage sources in the images, and the
Vault case: a service imported as consul-aws imports it (SRV only) served by TLS containers, reached
from 127.0.0.1:8200 through the forwarder container, with an instance killed.
Needs a running Docker engine; making the base image needs root and debootstrap.

Options:
  --build-only          build the images, report their sizes, run nothing
  --keep-running        leave the containers running after the checks, until Ctrl-C
  --base-image <ref>    build FROM this image instead of the local base (e.g. node:24-bookworm-slim)
  --tasks <n>           name containers, 2-20 (default: 3)
  --port <port>         hello's port on 127.0.0.1, 0 = any free port (default: 8080)
  --prefix <name>       prefix of container and network names (default: ecc)
  --verbose             show the build and debootstrap output
  --help                this text
`;

const IMAGE_REF = /^[a-z0-9]+([._\-/:@][a-zA-Z0-9]+)*$/;
const PREFIX = /^[a-z][a-z0-9-]{0,30}$/;

export function parseImagesArgs(argv: readonly string[]): ImagesParse {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        "build-only": { type: "boolean" },
        "keep-running": { type: "boolean" },
        "base-image": { type: "string" },
        tasks: { type: "string" },
        port: { type: "string" },
        prefix: { type: "string" },
        verbose: { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { kind: "error", message: (err as Error).message };
  }
  if (values.help) return { kind: "help" };
  const errors: string[] = [];
  const int = (flag: string, fallback: number, min: number, max: number): number => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    try {
      return wholeNumberFlag(flag, String(raw), min, max);
    } catch (err) {
      errors.push((err as Error).message);
      return Number.NaN;
    }
  };
  const options: ImagesOptions = {
    buildOnly: values["build-only"] === true,
    keepRunning: values["keep-running"] === true,
    baseImage: typeof values["base-image"] === "string" ? values["base-image"] : undefined,
    tasks: int("tasks", 3, 2, 20),
    port: int("port", 8080, 0, 65535),
    prefix: typeof values.prefix === "string" ? values.prefix : "ecc",
    verbose: values.verbose === true,
  };
  if (options.baseImage !== undefined && !IMAGE_REF.test(options.baseImage))
    errors.push(`--base-image must be an image reference, got "${options.baseImage}"`);
  if (!PREFIX.test(options.prefix))
    errors.push(
      `--prefix must be lowercase letters, digits and dashes (starting with a letter, up to 31), got "${options.prefix}"`,
    );
  if (options.buildOnly && options.keepRunning)
    errors.push("--build-only and --keep-running exclude each other");
  return errors.length > 0 ? { kind: "error", message: errors.join("\n") } : { kind: "run", options };
}
