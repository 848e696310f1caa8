/**
 * The README is the front door and docs/ holds the topics it links to: every relative link in
 * README.md and docs/*.md must reach an existing file, and a `#anchor` a heading of that file (as
 * GitHub names headings). The README stays short enough to read as a front door.
 */
import * as assert from "assert";
import * as fs from "fs";
import GithubSlugger from "github-slugger";
import { Lexer, Token, Tokens, walkTokens } from "marked";
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

/** The tokens of `tokens` and of everything inside them (links sit in paragraphs, lists and table cells). */
function allTokens(tokens: Token[]): Token[] {
  const all: Token[] = [];
  void walkTokens(tokens, (t) => {
    all.push(t);
  });
  return all;
}

/** The visible text of a heading's inline tokens: what GitHub slugs it from. */
function plainText(tokens: Token[]): string {
  return allTokens(tokens)
    .filter(
      (t): t is Tokens.Text | Tokens.Codespan | Tokens.Escape =>
        t.type === "text" || t.type === "codespan" || t.type === "escape",
    )
    .map((t) => t.text)
    .join("");
}

/** The anchors GitHub gives a Markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const headings = allTokens(Lexer.lex(fs.readFileSync(file, "utf8"))).filter(
    (t): t is Tokens.Heading => t.type === "heading",
  );
  return new Set(headings.map((h) => slugger.slug(plainText(h.tokens))));
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
