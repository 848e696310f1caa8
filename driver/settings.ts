import * as fs from "fs";
import * as path from "path";
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

/**
 * Runs `fn` and then puts the stack settings file back as it was: command-line overrides are
 * for this run, not a silent edit of the committed Pulumi.<stack>.yaml.
 */
export async function withStackFileRestored<T>(projectDir: string, stack: string, fn: () => Promise<T>): Promise<T> {
    const file = path.join(projectDir, stackFileName(stack));
    const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
    try {
        return await fn();
    } finally {
        if (before !== undefined) fs.writeFileSync(file, before);
    }
}
