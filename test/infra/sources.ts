/** Where the components' source lives: the package (by concern, in subfolders) and the program. */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../plan/program";

export const PACKAGE_DIR = path.join(ROOT, "packages", "ecs-cloudmap-consul");
export const PROGRAM_DIR = path.join(ROOT, "program");

/**
 * The TypeScript sources under `dir` (absolute paths, sorted): not node_modules, not dist/ (the
 * package's build, which npm pack writes), not dot folders, not declaration files.
 */
export function typeScriptSources(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter(
      (f) =>
        f.endsWith(".ts") &&
        !f.endsWith(".d.ts") &&
        !f.split(path.sep).some((p) => p === "node_modules" || p === "dist" || p.startsWith(".")),
    )
    .map((f) => path.join(dir, f))
    .sort();
}

/** Every TypeScript source file of the package and the program (absolute paths, sorted). */
export function componentSources(): string[] {
  return [PACKAGE_DIR, PROGRAM_DIR].flatMap(typeScriptSources).sort();
}
