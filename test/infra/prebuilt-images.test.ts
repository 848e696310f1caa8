/**
 * Build once, promote the same digest: with helloImage/nameImage set the stack builds nothing and its
 * tasks run exactly those digests (CI passes dev's digests to prod); a tag instead of a digest is refused.
 */
import * as assert from "assert";
import { loadStackConfig, ProgramRun, runProgram } from "./harness";
import { containersOf, one, ofType, T } from "./graph";
import { errorsOf, k, set } from "./settings-fixtures";

const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-cloudmap-consul";
const HELLO = `${REGISTRY}/hello@sha256:${"1".repeat(64)}`;
const NAME = `${REGISTRY}/name:3f9c2ab@sha256:${"2".repeat(64)}`;

describe("infra: prebuilt image digests (helloImage, nameImage)", function () {
  for (const stack of ["dev", "prod"] as const) {
    describe(stack, () => {
      let run: ProgramRun;
      before(async function () {
        run = await runProgram(
          { ...loadStackConfig(stack), [k("helloImage")]: HELLO, [k("nameImage")]: NAME },
          stack,
        );
        if (run.error) throw run.error;
      });

      it("nothing is built: no docker image resource", () => {
        assert.deepStrictEqual(ofType(run, "docker:index/image:Image"), []);
      });

      it("the tasks run exactly the digests given", () => {
        assert.strictEqual(containersOf(one(run, T.taskDefinition, "hello-task"))[0].image, HELLO);
        assert.strictEqual(containersOf(one(run, T.taskDefinition, "name-task"))[0].image, NAME);
      });

      it("the stack's repositories stay, so switching an existing stack deletes nothing", () => {
        assert.strictEqual(ofType(run, "aws:ecr/repository:Repository").length, 2);
      });
    });
  }

  it("without them each app is built from apps/<app>", async () => {
    const run = await runProgram(loadStackConfig("dev"), "dev");
    if (run.error) throw run.error;
    assert.strictEqual(ofType(run, "docker:index/image:Image").length, 2);
  });

  it("a tag or a malformed digest is refused, naming the setting", () => {
    const errors = errorsOf(
      set({
        [k("helloImage")]: `${REGISTRY}/hello:latest`,
        [k("nameImage")]: `${REGISTRY}/name@sha256:abc`,
      }),
    ).join("\n");
    assert.match(errors, /helloImage: .*an image pinned by digest/);
    assert.match(errors, /nameImage: .*an image pinned by digest/);
  });
});
