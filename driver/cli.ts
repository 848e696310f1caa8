import exit from "exit-x";
import { parseCommand, USAGE, type Command } from "./args";
import { runEphemeral, runSmokeCommand, runStackCommand, runSweep } from "./commands";
import { DriverError, ExitCode } from "./errors";
import { sinkFor } from "./printer";
import type { RunReport } from "./summary";

/**
 * `npm run driver -- <stack> preview|up|refresh|destroy`, `ephemeral <pr>`, `smoke <url>`.
 * Exit codes: see errors.ts. With --json, stdout carries exactly one JSON object.
 */
async function main(argv: readonly string[]): Promise<ExitCode> {
  const started = Date.now();
  let command: Command;
  try {
    command = parseCommand(argv, process.env);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    return err instanceof DriverError ? err.exitCode : ExitCode.Usage;
  }
  if (command.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return ExitCode.Ok;
  }
  const json = command.kind === "smoke" || command.kind === "sweep" ? command.json : command.options.json;
  const sink = sinkFor(json);
  const draft: Parameters<typeof runSmokeCommand>[2] = {
    command: command.kind === "stack" ? command.operation : command.kind,
    stack: command.kind === "smoke" || command.kind === "sweep" ? undefined : command.stack,
  };

  let exitCode: ExitCode = ExitCode.Ok;
  let summary: string;
  let error: string | undefined;
  try {
    summary =
      command.kind === "smoke"
        ? await runSmokeCommand(command, sink, draft)
        : command.kind === "sweep"
          ? await runSweep(command, process.env, sink, draft)
          : command.kind === "ephemeral"
            ? await runEphemeral(command, process.env, sink, draft)
            : await runStackCommand(command, process.env, sink, draft);
    sink.write(`${summary}\n`);
  } catch (err) {
    const known =
      err instanceof DriverError
        ? err
        : new DriverError(`unexpected: ${(err as Error)?.stack ?? String(err)}`, ExitCode.OperationFailed);
    exitCode = known.exitCode;
    error = known.message;
    summary = known.message.split("\n")[0];
    process.stderr.write(`error: ${known.message}\n`);
  }
  if (json) {
    const report: RunReport = {
      ...draft,
      ok: exitCode === ExitCode.Ok,
      exitCode,
      durationSeconds: Math.round((Date.now() - started) / 100) / 10,
      summary,
      error,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
  return exitCode;
}

// Exit explicitly, since the Automation API can keep the event loop alive after up() (pulumi/pulumi#13687),
// but only once stdout and stderr have drained: a --json report piped on must arrive whole.
main(process.argv.slice(2)).then(exit, (err: unknown) => {
  process.stderr.write(`error: ${String(err)}\n`);
  exit(ExitCode.OperationFailed);
});
