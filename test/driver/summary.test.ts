import * as assert from "node:assert/strict";
import { CommandError, ConcurrentUpdateError } from "@pulumi/pulumi/automation";
import { classifyOperationError, cliErrorText } from "../../driver/operations";
import { ExitCode } from "../../driver/errors";
import {
  formatOutputs,
  formatPreviewChanges,
  hasChanges,
  minDistinctTasks,
  plainOutputs,
} from "../../driver/summary";

// The SDK's own (internal) factory that turns a failed CLI run into CommandError subclasses: the
// driver must recognise exactly what the SDK throws, so the test uses the SDK's code, not a copy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCommandError } = require("@pulumi/pulumi/automation/errors") as {
  createCommandError: (r: unknown) => Error;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as {
  CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
};

const cliFailure = (stderr: string, code = 255) =>
  createCommandError(new CommandResult("Updating (dev)\n", stderr, code));

describe("driver: summaries and errors", () => {
  it("formats a preview's change summary", () => {
    assert.equal(
      formatPreviewChanges({ create: 3, update: 1, same: 20 }),
      "3 to create, 1 to update, 20 unchanged",
    );
    assert.equal(formatPreviewChanges({}), "no changes");
    assert.equal(hasChanges({ same: 20 }), false);
    assert.equal(hasChanges({ same: 20, delete: 1 }), true);
  });

  it("prints outputs aligned, and secrets never leave the process", () => {
    const outputs = {
      helloUrl: { value: "http://hello-alb-1.eu-west-1.elb.amazonaws.com/", secret: false },
      consulToken: { value: "s3cr3t", secret: true },
      nameDesiredCount: { value: 3, secret: false },
    };
    assert.deepEqual(plainOutputs(outputs), {
      consulToken: "[secret]",
      helloUrl: outputs.helloUrl.value,
      nameDesiredCount: 3,
    });
    assert.deepEqual(formatOutputs(outputs), [
      "Outputs:",
      "  consulToken       [secret]",
      "  helloUrl          http://hello-alb-1.eu-west-1.elb.amazonaws.com/",
      "  nameDesiredCount  3",
    ]);
    assert.doesNotMatch(JSON.stringify(plainOutputs(outputs)), /s3cr3t/);
  });

  it("how many name tasks must answer", () => {
    assert.equal(minDistinctTasks(3, 2), 2);
    assert.equal(minDistinctTasks("2", 2), 2); // stack config values are strings
    assert.equal(minDistinctTasks("1", 2), 1);
    assert.equal(minDistinctTasks(undefined, 2), 2);
    assert.equal(minDistinctTasks("lots", 2), 2);
  });

  it("a locked stack (Pulumi Cloud 409) → exit 6 with the CLI's words and no stack trace", () => {
    const err = cliFailure(
      "error: [409] Conflict: Another update is currently in progress.\nTo learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/common-errors/#conflict\n",
    );
    assert.ok(err instanceof ConcurrentUpdateError, "the SDK classifies it as a concurrent update");
    const classified = classifyOperationError(err, "up of dev");
    assert.equal(classified.exitCode, ExitCode.StackLocked);
    assert.equal(
      classified.message,
      "up of dev: the stack is locked by another update; wait for it to finish (or, if it died, run `pulumi cancel`).\n" +
        "error: [409] Conflict: Another update is currently in progress.",
    );
  });

  it("a locked stack (self-managed backend lock file) → exit 6 too", () => {
    const err = cliFailure(
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  s3://state/.pulumi/locks/organization/p/dev/1.json: created by ci@runner (pid 4242) at 2026-11-21T23:30:00Z\n",
    );
    const classified = classifyOperationError(err, "refresh of dev");
    assert.equal(classified.exitCode, ExitCode.StackLocked);
    assert.match(classified.message, /error: the stack is currently locked by 1 lock\(s\)/);
  });

  it("any other CLI failure → exit 4 with the error lines only", () => {
    const err = cliFailure(
      "warning: something minor\nerror: update failed\nerror: aws:ecs/service:Service hello: creating failed\n",
    );
    assert.ok(err instanceof CommandError && !(err instanceof ConcurrentUpdateError));
    const classified = classifyOperationError(err, "up of dev");
    assert.equal(classified.exitCode, ExitCode.OperationFailed);
    assert.equal(
      classified.message,
      "up of dev failed:\nerror: update failed\nerror: aws:ecs/service:Service hello: creating failed",
    );
    assert.equal(cliErrorText("plain message"), "plain message");
  });
});
