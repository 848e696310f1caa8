import * as fs from "fs";
import * as path from "path";

/** The project root: the driver runs Pulumi on this directory (Pulumi.yaml, Pulumi.<stack>.yaml). */
export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface PluginPin {
  /** Plugin name as `pulumi plugin install resource <name>` knows it. */
  name: string;
  version: string;
}

export interface PinnedVersions {
  /** The Pulumi CLI release the driver expects; CLI and Node SDK are released in lockstep. */
  cli: string;
  plugins: PluginPin[];
}

/**
 * The npm package behind each provider plugin. package.json is the one place versions are
 * pinned: the SDK packages there decide both the CLI version and the plugin versions.
 */
const PLUGIN_PACKAGES: ReadonlyArray<{ plugin: string; npmPackage: string }> = [
  { plugin: "aws", npmPackage: "@pulumi/aws" },
  { plugin: "awsx", npmPackage: "@pulumi/awsx" },
  { plugin: "docker", npmPackage: "@pulumi/docker" },
  { plugin: "random", npmPackage: "@pulumi/random" },
];
const CLI_PACKAGE = "@pulumi/pulumi";
const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

interface PackageJson {
  dependencies?: Record<string, string>;
}

/** Reads the pins from a parsed package.json; throws naming the package when one is missing or a range. */
export function pinnedVersionsFrom(pkg: PackageJson): PinnedVersions {
  const exact = (npmPackage: string): string => {
    const spec = pkg.dependencies?.[npmPackage];
    if (spec === undefined) {
      throw new Error(
        `package.json: dependency ${npmPackage} is missing; the driver pins its version from there`,
      );
    }
    if (!EXACT_VERSION.test(spec)) {
      throw new Error(
        `package.json: dependency ${npmPackage} is "${spec}"; the driver needs an exact version like 1.2.3 (no ^ or ~)`,
      );
    }
    return spec;
  };
  return {
    cli: exact(CLI_PACKAGE),
    plugins: PLUGIN_PACKAGES.map(({ plugin, npmPackage }) => ({ name: plugin, version: exact(npmPackage) })),
  };
}

export function readPinnedVersions(projectDir: string = PROJECT_DIR): PinnedVersions {
  const raw = fs.readFileSync(path.join(projectDir, "package.json"), "utf8");
  return pinnedVersionsFrom(JSON.parse(raw) as PackageJson);
}
