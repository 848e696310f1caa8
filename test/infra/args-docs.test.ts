/** Every argument of every component says what it does and its default, as SST's components do. */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { ROOT } from "./harness";
import { componentSources } from "./sources";

/** `Interface.field` of every Args field (and the types Args fields are made of) without `@default`. */
function undocumented(file: string): { fields: number; missing: string[] } {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  let fields = 0;
  const missing: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || !/(Args|ContainerInput|Cleanup)$/.test(node.name.text)) return;
    // A helper's arguments, not a component's.
    if (node.name.text === "FargateTaskArgs") return;
    for (const member of node.members) {
      if (!ts.isPropertySignature(member)) continue;
      fields++;
      const docs = ts.getJSDocCommentsAndTags(member).filter(ts.isJSDoc);
      const described = docs.some((d) => (ts.getTextOfJSDocComment(d.comment) ?? "").trim() !== "");
      const tags = ts.getJSDocTags(member).map((t) => t.tagName.text);
      if (!described || !tags.includes("default")) missing.push(`${node.name.text}.${member.name.getText()}`);
    }
  });
  return { fields, missing };
}

describe("infra component arguments are documented", () => {
  it("every field of every Args interface has a description and a @default", () => {
    let fields = 0;
    const missing: string[] = [];
    for (const f of componentSources()) {
      const found = undocumented(f);
      fields += found.fields;
      missing.push(...found.missing.map((m) => `${path.relative(ROOT, f)}: ${m}`));
    }
    assert.ok(fields > 100, `found only ${fields} Args fields: the scan is broken`);
    assert.deepStrictEqual(missing, []);
  });
});
