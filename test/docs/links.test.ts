/**
 * The README is the front door and docs/ holds the topics it links to: every relative link in
 * README.md and docs/*.md must reach an existing file, and a `#anchor` a heading of that file (as
 * GitHub names headings). The README stays short enough to read as a front door.
 */
import * as assert from "assert";
import * as fs from "fs";
import GithubSlugger from "github-slugger";
import { Lexer, Token } from "marked";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const PAGES = [
  "README.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const README_MAX_LINES = 260;

/** Every token of a document, depth first (links sit inside paragraphs, lists and table cells). */
function allTokens(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => {
    const inner: Token[] = [];
    if ("tokens" in t && Array.isArray(t.tokens)) inner.push(...(t.tokens as Token[]));
    if (t.type === "list") for (const item of t.items) inner.push(item);
    if (t.type === "table") {
      for (const cell of t.header) inner.push(...cell.tokens);
      for (const row of t.rows) for (const cell of row) inner.push(...cell.tokens);
    }
    return [t, ...allTokens(inner)];
  });
}

/** The visible text of inline tokens: what GitHub slugs a heading from. */
function plainText(tokens: Token[]): string {
  return tokens
    .map((t) =>
      "tokens" in t && Array.isArray(t.tokens)
        ? plainText(t.tokens as Token[])
        : "text" in t
          ? String(t.text)
          : "",
    )
    .join("");
}

/** The anchors GitHub gives a Markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const headings = allTokens(Lexer.lex(fs.readFileSync(file, "utf8"))).filter((t) => t.type === "heading");
  return new Set(headings.map((h) => slugger.slug(plainText("tokens" in h ? (h.tokens as Token[]) : []))));
}

/** The targets of a page's links and images, as written. */
function linksOf(page: string): string[] {
  const tokens = allTokens(Lexer.lex(fs.readFileSync(path.join(ROOT, page), "utf8")));
  return tokens.flatMap((t) => (t.type === "link" || t.type === "image" ? [String(t.href)] : []));
}

/** What is wrong with a relative link from `page`, or undefined when it resolves. */
function problem(page: string, href: string): string | undefined {
  const [target, anchor] = href.split("#", 2);
  const file =
    target === ""
      ? path.join(ROOT, page)
      : path.resolve(path.dirname(path.join(ROOT, page)), decodeURI(target));
  if (!fs.existsSync(file)) return `${page}: ${href}: no such file`;
  if (anchor === undefined || !file.endsWith(".md")) return undefined;
  return anchorsOf(file).has(anchor) ? undefined : `${page}: ${href}: no heading with that anchor`;
}

describe("docs links", () => {
  for (const page of PAGES) {
    it(`${page}: every relative link reaches an existing file and heading`, () => {
      const relative = linksOf(page).filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href));
      const problems = relative.map((href) => problem(page, href)).filter((p) => p !== undefined);
      assert.deepStrictEqual(problems, []);
    });
  }

  it("the README links to every page under docs/", () => {
    const linked = new Set(linksOf("README.md").map((href) => href.split("#")[0]));
    assert.deepStrictEqual(
      PAGES.filter((p) => p.startsWith("docs/") && !linked.has(p)),
      [],
    );
  });

  it(`README.md stays a front door: at most ${README_MAX_LINES} lines`, () => {
    const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
    assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move a topic to docs/`);
  });

  it("the checks bite: a missing file, a missing heading", () => {
    assert.match(String(problem("README.md", "docs/no-such-page.md")), /no such file/);
    assert.match(String(problem("README.md", "docs/settings.md#no-such-heading")), /no heading/);
    assert.strictEqual(problem("README.md", "docs/settings.md#settings"), undefined);
  });
});
