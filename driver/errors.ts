import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { DriverError, ExitCode } from "./exitCodes";

/**
 * The CLI's own words from a CommandError. Its message is "code: N\n stdout: ...\n stderr: ...\n err?: ...";
 * people need the `error:` lines of stderr, not that envelope nor a stack trace.
 */
export function cliErrorText(message: string): string {
  const stderr = /\n stderr: ([\s\S]*?)\n err\?: /.exec(message)?.[1] ?? message;
  const errorLines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^error:/i.test(line));
  if (errorLines.length > 0) return errorLines.join("\n");
  const lastLines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-5);
  return lastLines.length ? lastLines.join("\n") : message.trim();
}

/** Maps anything thrown by a stack operation to an exit code and a message without a stack trace. */
export function classifyOperationError(err: unknown, what: string): DriverError {
  if (err instanceof DriverError) return err;
  if (err instanceof ConcurrentUpdateError) {
    return new DriverError(
      `${what}: the stack is locked by another update; wait for it to finish (or, if it died, run \`pulumi cancel\`).\n` +
        cliErrorText(err.message),
      ExitCode.StackLocked,
    );
  }
  if (err instanceof CommandError)
    return new DriverError(`${what} failed:\n${cliErrorText(err.message)}`, ExitCode.OperationFailed);
  return new DriverError(
    `${what} failed: ${err instanceof Error ? err.message : String(err)}`,
    ExitCode.OperationFailed,
  );
}
