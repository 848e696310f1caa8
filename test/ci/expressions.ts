/**
 * Just enough of GitHub Actions' expression language to evaluate the workflows' own `${{ … }}`
 * (concurrency groups, environments) against a test's contexts: property paths, string and number
 * literals, `!`, `==`, `!=`, `&&`, `||` (returning operands, as GitHub does) and parentheses.
 * Anything else throws, so a workflow that outgrows it fails the test instead of passing unchecked.
 */
export type Value = string | number | boolean | null | undefined | { [key: string]: Value } | Value[];
export type Contexts = Record<string, Value>;

const TOKEN =
  /\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(==|!=|&&|\|\||!|\(|\))|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`expression "${text}": cannot read at ${at}: "${text.slice(at)}"`);
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  }
  return tokens;
}

const truthy = (v: Value): boolean => v !== undefined && v !== null && v !== false && v !== "" && v !== 0;

/** GitHub compares strings case-insensitively and coerces mixed types to numbers. */
function equals(a: Value, b: Value): boolean {
  if (typeof a === "string" && typeof b === "string") return a.toLowerCase() === b.toLowerCase();
  if (typeof a === typeof b) return a === b;
  const num = (v: Value) =>
    v === null || v === undefined ? 0 : typeof v === "boolean" ? Number(v) : Number(v);
  return num(a) === num(b);
}

export function evaluate(expression: string, contexts: Contexts): Value {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const or = (): Value => {
    let left = and();
    while (peek() === "||") {
      next();
      const right = and();
      left = truthy(left) ? left : right;
    }
    return left;
  };
  const and = (): Value => {
    let left = comparison();
    while (peek() === "&&") {
      next();
      const right = comparison();
      left = truthy(left) ? right : left;
    }
    return left;
  };
  const comparison = (): Value => {
    const left = unary();
    if (peek() === "==" || peek() === "!=") {
      const op = next();
      const right = unary();
      return op === "==" ? equals(left, right) : !equals(left, right);
    }
    return left;
  };
  const unary = (): Value => {
    if (peek() === "!") {
      next();
      return !truthy(unary());
    }
    return primary();
  };
  const primary = (): Value => {
    const t = next();
    if (t === undefined) throw new Error(`expression "${expression}" ends early`);
    if (t === "(") {
      const v = or();
      if (next() !== ")") throw new Error(`expression "${expression}": missing )`);
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    if (/^\d/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    if (t === "null") return null;
    let value: Value = contexts;
    for (const part of t.split(".")) {
      value = value && typeof value === "object" && !Array.isArray(value) ? value[part] : undefined;
    }
    return value;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`expression "${expression}": unexpected "${tokens[i]}"`);
  return result;
}

/** A string with `${{ … }}` parts, as GitHub renders it (undefined and null become ""). */
export function render(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expression: string) => {
    const v = evaluate(expression, contexts);
    return v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  });
}
