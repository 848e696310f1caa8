import * as fs from "fs";
import { UsageError } from "./exitCodes";

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
        throw new UsageError("no Pulumi.yaml in the project directory: the driver runs the program of this repository");
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
