/**
 * Process exit codes of the driver. CI branches on these, so they are part of its interface:
 * keep the numbers stable and documented in docs/driver-and-ci.md.
 */
export const ExitCode = {
  Ok: 0,
  /** Bad command line, bad override, or a stack/settings file that is missing or invalid. */
  Usage: 2,
  /** Pulumi CLI, backend login, plugins or AWS credentials missing: nothing was touched. */
  MissingPrerequisite: 3,
  /** preview, refresh, up or destroy failed (including the ephemeral teardown). */
  OperationFailed: 4,
  /** The stack deployed but hello did not answer as the contract says. */
  SmokeFailed: 5,
  /** Another update holds the stack's lock. */
  StackLocked: 6,
  /** Stopped by SIGINT/SIGTERM (128 + SIGINT, the shell convention). */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that already knows how the process should end and what to tell the user. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "DriverError";
  }
}

export class UsageError extends DriverError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
    this.name = "UsageError";
  }
}
