/**
 * Moving the components into the package changed their type tokens (`ecs-cloudmap-consul:<module>:<Class>`
 * became `ecs-cloudmap-consul:index:<Class>`), and so the URN of every resource under them. A stack
 * deployed before keeps its resources only if each old URN is a new resource's URN or one of its
 * aliases, as the engine resolves them: a spec's empty fields are the resource's own, and a child
 * inherits every alias of its parent (same type and name under each former parent URN).
 *
 * The fixture holds the dev and prod graphs (URN, parent, inputs) recorded under these mocks from
 * the program as it was before the package (commit e7343a3), by running `runProgram` for each stack.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { AliasRequest, loadStackConfig, PROJECT, RecordedResource, runProgram } from "./harness";

interface FormerResource {
  readonly urn: string;
  readonly custom: boolean;
  readonly parentUrn?: string;
  readonly inputs: Record<string, unknown>;
}
const BEFORE = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "graphs-before-package.json"), "utf8"),
) as Record<"dev" | "prod", FormerResource[]>;

/** `urn:pulumi:<stack>::<project>::<parent's qualified type>$<type>::<name>`, as the engine builds it. */
export function urnOf(
  stack: string,
  project: string,
  type: string,
  name: string,
  parentUrn?: string,
): string {
  const parentType = parentUrn ? parentUrn.split("::")[2] : undefined;
  const qualified =
    parentType && !parentType.endsWith("pulumi:pulumi:Stack") ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/** Every URN the engine takes as a former URN of each resource: its alias specs resolved, and its parents' aliases inherited. */
export function aliasUrns(resources: readonly RecordedResource[], stack: string): Map<string, Set<string>> {
  const byUrn = new Map(resources.map((r) => [r.urn ?? "", r]));
  const memo = new Map<string, Set<string>>();
  const resolve = (r: RecordedResource): Set<string> => {
    const urn = r.urn ?? "";
    const known = memo.get(urn);
    if (known) return known;
    const found = new Set<string>();
    memo.set(urn, found);
    const specs: AliasRequest[] = r.aliases ?? [];
    for (const spec of specs) {
      if (spec.urn) {
        found.add(spec.urn);
        continue;
      }
      const parent = spec.noParent ? undefined : (spec.parentUrn ?? r.parentUrn);
      found.add(
        urnOf(spec.stack ?? stack, spec.project ?? PROJECT, spec.type ?? r.type, spec.name ?? r.name, parent),
      );
    }
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    if (parent) {
      // The engine's inherited aliases: this resource's own type and name (and those of its specs)
      // under each URN its parent had.
      const shapes = [
        { type: r.type, name: r.name },
        ...specs.filter((s) => !s.urn).map((s) => ({ type: s.type ?? r.type, name: s.name ?? r.name })),
      ];
      for (const parentAlias of resolve(parent))
        for (const { type, name } of shapes) found.add(urnOf(stack, PROJECT, type, name, parentAlias));
    }
    return found;
  };
  for (const r of resources) resolve(r);
  return memo;
}

/** Old URN → the new resource the engine maps it to (by URN or alias); undefined when it would be replaced. */
export function mapFormerUrns(
  before: readonly FormerResource[],
  after: readonly RecordedResource[],
  stack: string,
): { same: number; aliased: number; lost: string[]; matched: Map<string, RecordedResource> } {
  const aliases = aliasUrns(after, stack);
  const byUrn = new Map(after.map((r) => [r.urn ?? "", r]));
  const byAlias = new Map<string, RecordedResource>();
  for (const r of after) for (const a of aliases.get(r.urn ?? "") ?? []) byAlias.set(a, r);
  let same = 0;
  let aliased = 0;
  const lost: string[] = [];
  const matched = new Map<string, RecordedResource>();
  for (const old of before) {
    const now = byUrn.get(old.urn);
    const via = byAlias.get(old.urn);
    if (now) {
      same++;
      matched.set(old.urn, now);
    } else if (via) {
      aliased++;
      matched.set(old.urn, via);
    } else lost.push(old.urn);
  }
  return { same, aliased, lost, matched };
}

describe("existing stacks keep every resource after the move into the package", function () {
  this.timeout(240_000);
  for (const stack of ["dev", "prod"] as const) {
    it(`${stack}: each URN of the graph before the package is a URN or an alias of the graph now`, async () => {
      const run = await runProgram(loadStackConfig(stack), stack);
      assert.ifError(run.error);
      const before = BEFORE[stack];
      const { same, aliased, lost, matched } = mapFormerUrns(before, run.resources, stack);
      console.log(
        `      ${stack}: ${before.length} URNs before, ${run.resources.length} now: ${same} unchanged, ${aliased} through an alias, ${lost.length} lost`,
      );
      assert.deepStrictEqual(lost, [], "resources the engine would replace (old URN matches nothing)");
      // Nothing new either: every resource now stands for exactly one resource before.
      assert.strictEqual(new Set([...matched.values()]).size, run.resources.length);
      assert.strictEqual(run.resources.length, before.length);
      // Same inputs: the move changes names of types, not what is asked of AWS.
      const changed = before
        .filter((old) => JSON.stringify(matched.get(old.urn)?.inputs) !== JSON.stringify(old.inputs))
        .map((old) => old.urn);
      assert.deepStrictEqual(changed, [], "resources whose inputs changed");
    });
  }

  it("the check resolves aliases as the engine does: a child inherits its parent's former URN", () => {
    const parent: RecordedResource = {
      type: "pkg:index:Thing",
      name: "a",
      custom: false,
      inputs: {},
      state: {},
      dependencies: [],
      urn: urnOf("s", PROJECT, "pkg:index:Thing", "a"),
      aliases: [{ type: "pkg:old:Thing" }],
    };
    const child: RecordedResource = {
      type: "aws:s3/bucket:Bucket",
      name: "a-bucket",
      custom: true,
      inputs: {},
      state: {},
      dependencies: [],
      urn: urnOf("s", PROJECT, "aws:s3/bucket:Bucket", "a-bucket", parent.urn),
      parentUrn: parent.urn,
    };
    const aliases = aliasUrns([parent, child], "s");
    assert.deepStrictEqual(
      [...(aliases.get(child.urn ?? "") ?? [])],
      [`urn:pulumi:s::${PROJECT}::pkg:old:Thing$aws:s3/bucket:Bucket::a-bucket`],
    );
    // Without the parent's alias the child's old URN is lost too.
    const { lost } = mapFormerUrns(
      [
        {
          urn: `urn:pulumi:s::${PROJECT}::pkg:old:Thing$aws:s3/bucket:Bucket::a-bucket`,
          custom: true,
          inputs: {},
        },
      ],
      [{ ...parent, aliases: [] }, child],
      "s",
    );
    assert.strictEqual(lost.length, 1);
  });
});
