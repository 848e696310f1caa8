/** What reaches a task definition is a digest: a reference that pins one is kept, a registry answer is checked. */
import * as assert from "assert";
import { isPinned, pinTo } from "../../packages/ecs-cloudmap-consul/service/pinned-image";

const DIGEST = `sha256:${"0a".repeat(32)}`;

describe("pinned images", () => {
  it("a reference pins a digest with or without a tag; a tag alone does not", () => {
    assert.ok(isPinned(`public.ecr.aws/hashicorp/consul:1.21.5@${DIGEST}`));
    assert.ok(isPinned(`public.ecr.aws/hashicorp/consul@${DIGEST}`));
    assert.ok(!isPinned("public.ecr.aws/hashicorp/consul:1.21.5"));
    assert.ok(!isPinned(`public.ecr.aws/hashicorp/consul:1.21.5@sha256:${"0".repeat(63)}`));
  });

  it("the registry's answer is appended only when it is a sha256 digest", () => {
    assert.strictEqual(
      pinTo("public.ecr.aws/hashicorp/consul-aws:0.1.3", DIGEST),
      `public.ecr.aws/hashicorp/consul-aws:0.1.3@${DIGEST}`,
    );
    for (const bad of ["", "sha256:abc", `sha512:${"0".repeat(128)}`, `SHA256:${"0".repeat(64)}`])
      assert.throws(
        () => pinTo("public.ecr.aws/hashicorp/consul-aws:0.1.3", bad),
        /the registry answered public\.ecr\.aws\/hashicorp\/consul-aws:0\.1\.3 with digest ".*", not sha256:<64 hex>/,
        bad,
      );
  });
});
