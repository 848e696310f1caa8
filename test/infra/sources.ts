/** Where the components' source lives: the package (by concern, in subfolders) and the program. */
import * as fs from "fs";
import * as path from "path";
import { ROOT } from "../../plan/program";

export const PACKAGE_DIR = path.join(ROOT, "packages", "ecs-cloudmap-consul");
export const PROGRAM_DIR = path.join(ROOT, "program");

/** Every TypeScript source file of the package and the program (absolute paths, sorted). */
export function componentSources(): string[] {
  return [PACKAGE_DIR, PROGRAM_DIR]
    .flatMap((dir) =>
      fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        // dist/ holds the package's build (npm pack writes it), not sources.
        .filter(
          (f) => f.endsWith(".ts") && !f.split(path.sep).some((p) => p === "node_modules" || p === "dist"),
        )
        .map((f) => path.join(dir, f)),
    )
    .sort();
}
