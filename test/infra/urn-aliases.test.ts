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
const fixture = (file: string) =>
  JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", file), "utf8")) as Record<
    "dev" | "prod",
    FormerResource[]
  >;
/** Graphs of earlier programs: before the package (components at the root, module tokens), and 0.1.0's (index tokens). */
const FIXTURES = {
  "before the package": fixture("graphs-before-package.json"),
  "package 0.1.0": fixture("graphs-0.1.0.json"),
};

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

const ROOT_STACK = "pulumi:pulumi:Stack";
const typeOf = (urn: string) => urn.split("::")[2].split("$").pop() ?? "";
const nameOf = (urn: string) => urn.split("::").slice(3).join("::");

/**
 * The old URN the engine matches each new resource to, as its step generator does
 * (pkg/resource/deploy/step_generator.go: generateAliases, collapseAliasToUrn, inheritedChildAlias),
 * walking the resources parents first against the old state:
 * - a resource is looked up by its URN, then by each alias in order; the first old URN found is its match;
 * - an alias spec's empty name and type are the resource's own; its parent is the resource's parent,
 *   or the parent's matched old URN when the parent was itself matched through an alias; no parent,
 *   or the root stack, means a URN at the stack's root;
 * - a child inherits only the one old URN its parent matched through an alias (not every alias of
 *   the parent): its own type and name (and those of each of its specs) under that URN, and a name
 *   that starts with the parent's name gets the parent's former name in its place.
 */
export function engineMatches(
  olds: ReadonlySet<string>,
  resources: readonly RecordedResource[],
  stack: string,
): { matched: Map<string, string>; duplicates: string[] } {
  const byUrn = new Map(resources.map((r) => [r.urn ?? "", r]));
  const matched = new Map<string, string>();
  /** New URN -> the old URN it matched through an alias (the engine's `sg.aliases`). */
  const viaAlias = new Map<string, string>();
  const claimed = new Map<string, string>();
  const duplicates: string[] = [];
  const done = new Set<string>();
  const collapse = (r: RecordedResource, spec: AliasRequest): string => {
    if (spec.urn) return spec.urn;
    let parent = spec.parentUrn ? (viaAlias.get(spec.parentUrn) ?? spec.parentUrn) : r.parentUrn;
    if (spec.noParent || (parent && typeOf(parent) === ROOT_STACK)) parent = undefined;
    return urnOf(
      spec.stack ?? stack,
      spec.project ?? PROJECT,
      spec.type ?? r.type,
      spec.name ?? r.name,
      parent,
    );
  };
  const inherited = (type: string, name: string, parentName: string, parentAlias: string): string => {
    const aliasName = name.startsWith(parentName)
      ? nameOf(parentAlias) + name.slice(parentName.length)
      : name;
    return urnOf(stack, PROJECT, type, aliasName, parentAlias);
  };
  const visit = (r: RecordedResource) => {
    const urn = r.urn ?? "";
    if (done.has(urn)) return;
    done.add(urn);
    const parent = r.parentUrn ? byUrn.get(r.parentUrn) : undefined;
    if (parent) visit(parent);
    const specs = r.aliases ?? [];
    const aliases = specs.map((spec) => collapse(r, spec));
    const parentAlias = r.parentUrn ? viaAlias.get(r.parentUrn) : undefined;
    if (r.parentUrn && parentAlias) {
      const parentName = nameOf(r.parentUrn);
      aliases.push(inherited(r.type, r.name, parentName, parentAlias));
      for (const alias of aliases.slice(0, specs.length))
        aliases.push(inherited(typeOf(alias), nameOf(alias), parentName, parentAlias));
    }
    const old = [urn, ...aliases].find((candidate) => olds.has(candidate));
    if (old === undefined) return;
    if (claimed.has(old)) duplicates.push(`${old} claimed by ${claimed.get(old)} and ${urn}`);
    claimed.set(old, urn);
    matched.set(urn, old);
    if (old !== urn) viaAlias.set(urn, old);
  };
  for (const r of resources) visit(r);
  return { matched, duplicates };
}

/**
 * The URN the engine gives each resource: its parent's whole qualified type chain, then its type
 * and name (deploy.generateURN). Pulumi's mock monitor, which recorded these graphs, uses only the
 * parent's own type, so a grandchild's URN there does not change when its grandparent moves.
 */
export function engineUrns(
  graph: readonly { readonly urn?: string; readonly parentUrn?: string }[],
  stack: string,
) {
  const byUrn = new Map(graph.map((r) => [r.urn ?? "", r]));
  const engine = new Map<string, string>();
  const of = (mockUrn: string): string => {
    const known = engine.get(mockUrn);
    if (known) return known;
    const r = byUrn.get(mockUrn);
    const parent = r?.parentUrn ? of(r.parentUrn) : undefined;
    const urn = urnOf(stack, PROJECT, typeOf(mockUrn), nameOf(mockUrn), parent);
    engine.set(mockUrn, urn);
    return urn;
  };
  for (const r of graph) of(r.urn ?? "");
  return (mockUrn: string) => engine.get(mockUrn) ?? mockUrn;
}

/** Old URN → the new resource the engine maps it to (by URN or alias); lost: the old URNs it would delete. */
export function mapFormerUrns(
  before: readonly FormerResource[],
  after: readonly RecordedResource[],
  stack: string,
): {
  same: number;
  aliased: number;
  lost: string[];
  duplicates: string[];
  matched: Map<string, RecordedResource>;
} {
  const oldUrn = engineUrns(before, stack);
  const newUrn = engineUrns(after, stack);
  const asEngine = after.map((r) => ({
    ...r,
    urn: newUrn(r.urn ?? ""),
    parentUrn: r.parentUrn ? newUrn(r.parentUrn) : undefined,
    aliases: r.aliases?.map((a) => (a.parentUrn ? { ...a, parentUrn: newUrn(a.parentUrn) } : a)),
  }));
  const { matched: oldOf, duplicates } = engineMatches(
    new Set(before.map((r) => oldUrn(r.urn))),
    asEngine,
    stack,
  );
  const byOld = new Map<string, RecordedResource>();
  after.forEach((r, i) => {
    const old = oldOf.get(asEngine[i].urn);
    if (old !== undefined) byOld.set(old, r);
  });
  let same = 0;
  let aliased = 0;
  const lost: string[] = [];
  const matched = new Map<string, RecordedResource>();
  for (const old of before) {
    const now = byOld.get(oldUrn(old.urn));
    if (!now) lost.push(oldUrn(old.urn));
    else {
      if (newUrn(now.urn ?? "") === oldUrn(old.urn)) same++;
      else aliased++;
      matched.set(old.urn, now);
    }
  }
  return { same, aliased, lost, duplicates, matched };
}

describe("existing stacks keep every resource after the move into the package", function () {
  this.timeout(240_000);
  for (const [fixture, graphs] of Object.entries(FIXTURES))
    for (const stack of ["dev", "prod"] as const) {
      it(`${stack}, ${fixture}: each URN of that graph is a URN or an alias of the graph now`, async () => {
        const run = await runProgram(loadStackConfig(stack), stack);
        assert.ifError(run.error);
        const before = graphs[stack];
        const { same, aliased, lost, duplicates, matched } = mapFormerUrns(before, run.resources, stack);
        console.log(
          `      ${stack} (${fixture}): ${before.length} URNs before, ${run.resources.length} now: ${same} unchanged, ${aliased} through an alias, ${lost.length} lost`,
        );
        assert.deepStrictEqual(lost, [], "resources the engine would replace (old URN matches nothing)");
        assert.deepStrictEqual(duplicates, [], "old URNs two new resources claim (an engine error)");
        // Nothing new but the environment component that now holds the parts: every other
        // resource stands for exactly one resource before.
        const fresh = run.resources.filter((r) => ![...matched.values()].includes(r));
        assert.deepStrictEqual(
          fresh.map((r) => `${r.type}::${r.name}`),
          ["ecs-cloudmap-consul:index:DiscoveryEnvironment::environment"],
        );
        assert.strictEqual(new Set([...matched.values()]).size, before.length);
        // Same inputs: the move changes names of types and parents, not what is asked of AWS.
        const changed = before
          .filter((old) => JSON.stringify(matched.get(old.urn)?.inputs) !== JSON.stringify(old.inputs))
          .map((old) => old.urn);
        assert.deepStrictEqual(changed, [], "resources whose inputs changed");
      });
    }

  /** A component (parent) and one child, as the mock monitor records them. */
  const resource = (
    type: string,
    name: string,
    parentUrn?: string,
    aliases?: AliasRequest[],
  ): RecordedResource => ({
    type,
    name,
    custom: parentUrn !== undefined,
    inputs: {},
    state: {},
    dependencies: [],
    urn: mockUrn(type, name, parentUrn),
    parentUrn,
    aliases,
  });
  const old = (type: string, name: string, parentUrn?: string) => ({
    urn: mockUrn(type, name, parentUrn),
    parentUrn,
    custom: true,
    inputs: {},
  });
  const BUCKET = "aws:s3/bucket:Bucket";
  /** As Pulumi's mock monitor names a resource (what runMocked records): by its parent's own type. */
  function mockUrn(type: string, name: string, parentUrn?: string): string {
    return urnOf("s", PROJECT, type, name, parentUrn && mockUrn(typeOf(parentUrn), nameOf(parentUrn)));
  }

  it("the check resolves aliases as the engine does: a child inherits the former URN its parent matched", () => {
    // The SDK sends a spec without `parent` with the resource's parent filled in.
    const parent = resource("pkg:index:Thing", "a", undefined, [{ type: "pkg:old:Thing" }]);
    const child = resource(BUCKET, "a-bucket", parent.urn);
    const formerParent = old("pkg:old:Thing", "a");
    const formerChild = old(BUCKET, "a-bucket", formerParent.urn);
    assert.deepStrictEqual(mapFormerUrns([formerParent, formerChild], [parent, child], "s").lost, []);
    // Without the parent's alias the child's old URN is lost too.
    const { lost } = mapFormerUrns([formerParent, formerChild], [{ ...parent, aliases: [] }, child], "s");
    assert.deepStrictEqual(lost, [formerParent.urn, formerChild.urn]);
  });

  it("the check resolves aliases as the engine does: only the alias the parent matched is inherited", () => {
    // The parent has two aliases, and the old state holds the child under the one it did not match
    // (the old parent is gone): the engine, inheriting only the matched one, replaces the child.
    const parent = resource("pkg:index:Thing", "a", undefined, [
      { type: "pkg:old:Thing" },
      { type: "pkg:older:Thing" },
    ]);
    const child = resource(BUCKET, "a-bucket", parent.urn);
    const formerParent = old("pkg:old:Thing", "a");
    const orphan = old(BUCKET, "a-bucket", urnOf("s", PROJECT, "pkg:older:Thing", "a"));
    assert.deepStrictEqual(mapFormerUrns([formerParent, orphan], [parent, child], "s").lost, [orphan.urn]);
  });

  it("the check resolves aliases as the engine does: a child named after its renamed parent follows the former name", () => {
    // Renamed a -> b with an alias; its child b-bucket was a-bucket (the engine swaps the prefix).
    const parent = resource("pkg:index:Thing", "b", undefined, [{ name: "a" }]);
    const child = resource(BUCKET, "b-bucket", parent.urn);
    const formerParent = old("pkg:index:Thing", "a");
    const formerChild = old(BUCKET, "a-bucket", formerParent.urn);
    const { lost, aliased } = mapFormerUrns([formerParent, formerChild], [parent, child], "s");
    assert.deepStrictEqual([lost, aliased], [[], 2]);
  });

  it("the check resolves aliases as the engine does: a parent spec at the root stack means no parent", () => {
    // A component moved under a new parent, with an alias to the root (the SDK sends `noParent`).
    const holder = resource("pkg:index:Holder", "env");
    const moved = { ...resource("pkg:index:Thing", "a", holder.urn, [{ noParent: true }]), custom: false };
    const child = resource(BUCKET, "a-bucket", moved.urn);
    const formerMoved = old("pkg:index:Thing", "a");
    const formerChild = old(BUCKET, "a-bucket", formerMoved.urn);
    const { lost } = mapFormerUrns([formerMoved, formerChild], [holder, moved, child], "s");
    assert.deepStrictEqual(lost, []);
  });

  it("the check names resources as the engine does: a grandchild's URN carries its grandparent's type", () => {
    // Pulumi's mock monitor names a resource by its parent's own type only; the engine by the
    // parent's whole chain, so moving a component under another moves its grandchildren too.
    const holder = resource("pkg:index:Holder", "env");
    const moved = { ...resource("pkg:index:Thing", "a", holder.urn), custom: false };
    const child = { ...resource("pkg:index:Part", "a-part", moved.urn), custom: false };
    const grandchild = resource(BUCKET, "a-part-bucket", child.urn);
    const formerMoved = old("pkg:index:Thing", "a");
    const formerChild = old("pkg:index:Part", "a-part", formerMoved.urn);
    const formerGrandchild = old(BUCKET, "a-part-bucket", formerChild.urn);
    const before = [formerMoved, formerChild, formerGrandchild];
    assert.strictEqual(formerGrandchild.urn, grandchild.urn, "the mock monitor's URNs agree");
    assert.strictEqual(mapFormerUrns(before, [holder, moved, child, grandchild], "s").lost.length, 3);
    const withAlias = { ...moved, aliases: [{ noParent: true }] };
    assert.deepStrictEqual(mapFormerUrns(before, [holder, withAlias, child, grandchild], "s").lost, []);
  });
});
