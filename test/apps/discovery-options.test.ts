// The discovery options table (apps/hello/src/discovery/options.ts) is the one place an option is
// declared: each row, whatever it is, must reach the client's checks, createTargetSet (scope
// "connections"), hello's and the forwarder's environment reading (a row with a variable) and
// apps/README.md's table (test/docs). A row added to the table alone is checked here; each failure
// names the row and the place it did not reach.
import assert from "node:assert/strict";
import { FORWARDER_DISCOVERY, parseForwarderConfig } from "../../apps/forwarder/src/config";
import { HELLO_DISCOVERY, parseHelloConfig } from "../../apps/hello/src/config";
import { createServiceClient, createTargetSet, InvalidOptionError } from "../../apps/hello/src/discovery";
import {
  CLIENT_DEFAULTS,
  OPTION_LIMITS,
  OPTIONS,
  resolveOptions,
  type OptionRow,
  type ServiceClientOptions,
} from "../../apps/hello/src/discovery/options";

const ROWS = Object.entries(OPTIONS as Record<string, OptionRow>);
const URL = "http://name.internal:3000/";
const quiet = (): void => {};

/** `value` placed at the row's key: { maxTries: 2 } or { ejection: { baseMs: 2 } }. */
function at(key: string, value: unknown): Record<string, unknown> {
  const [name, member] = key.split(".");
  return member === undefined ? { [name]: value } : { [name]: { [member]: value } };
}

function valueAt(source: unknown, key: string): unknown {
  return key
    .split(".")
    .reduce<unknown>((v, part) => (v as Record<string, unknown> | undefined)?.[part], source);
}

function defaultOf(key: string): unknown {
  return (OPTIONS as Record<string, OptionRow>)[key].default;
}

/**
 * A valid value other than the default, that keeps every `atMost` pair in order with the other
 * options at their defaults (and is a whole number in the variable's units).
 */
function otherValue(key: string, row: OptionRow): string | number {
  if (row.type === "choice") {
    const other = row.choices.find((c) => c !== row.default);
    assert.ok(other !== undefined, `${key}: a choice needs two values`);
    return other;
  }
  const scale = row.envScale ?? 1;
  const candidates = [row.max, row.min, row.default + 1, row.default - 1, (row.min + row.max) / 2];
  const fits = (v: number): boolean =>
    v !== row.default &&
    v >= row.min &&
    v <= row.max &&
    (row.type === "number" || Number.isInteger(v)) &&
    Number.isInteger(v * scale) &&
    (row.atMost === undefined || v <= (defaultOf(row.atMost) as number)) &&
    ROWS.every(([, r]) => r.type === "choice" || r.atMost !== key || r.default <= v);
  const value = candidates.find(fits);
  assert.ok(value !== undefined, `${key}: no valid value other than the default`);
  return value;
}

/** The value as its variable spells it. */
function inEnv(row: OptionRow, value: string | number): string {
  return row.type === "choice" ? String(value) : String(Math.round(Number(value) * (row.envScale ?? 1)));
}

function badValue(row: OptionRow): string | number {
  return row.type === "choice" ? "not-a-choice" : row.max + 1;
}

describe("discovery options: one table reaches every place", () => {
  it("the table is well formed: bounds hold the default, atMost names a numeric row, variables are unique whole numbers", () => {
    const variables = ROWS.flatMap(([, row]) => (row.env === undefined ? [] : [row.env]));
    assert.equal(new Set(variables).size, variables.length, "each variable once");
    for (const [key, row] of ROWS) {
      if (row.type === "choice") {
        assert.ok(row.choices.includes(row.default), `${key}: default is a choice`);
        continue;
      }
      assert.ok(row.min <= row.default && row.default <= row.max, `${key}: default within bounds`);
      if (row.atMost !== undefined) {
        const other = (OPTIONS as Record<string, OptionRow>)[row.atMost];
        assert.ok(
          other !== undefined && other.type !== "choice",
          `${key}: atMost ${row.atMost} is a numeric row`,
        );
      }
      if (row.env !== undefined) {
        const scale = row.envScale ?? 1;
        for (const v of [row.min, row.max, row.default])
          assert.ok(Number.isInteger(v * scale), `${key}: ${row.env} holds whole numbers (envScale)`);
      }
    }
  });

  for (const [key, row] of ROWS) {
    describe(key, () => {
      const value = otherValue(key, row);

      it("the client: default when absent, a valid value taken, a bad one refused naming it and what is allowed", () => {
        const base = { url: URL, dnsServers: [{ host: "127.0.0.1", port: 9 }] };
        assert.deepEqual(valueAt(resolveOptions(base), key), row.default, "default");
        assert.deepEqual(valueAt(CLIENT_DEFAULTS, key), row.default, "CLIENT_DEFAULTS");
        if (row.type !== "choice")
          assert.deepEqual(
            valueAt(OPTION_LIMITS, key),
            { min: row.min, max: row.max, integer: row.type === "integer" },
            "OPTION_LIMITS",
          );
        const options = { ...base, ...at(key, value) } as ServiceClientOptions;
        assert.deepEqual(valueAt(resolveOptions(options), key), value, "a valid value");
        const allowed =
          row.type === "choice" ? `one of ${row.choices.join(", ")}` : `from ${row.min} to ${row.max}`;
        assert.throws(
          () => createServiceClient({ ...base, ...at(key, badValue(row)) }),
          (err: unknown) =>
            err instanceof InvalidOptionError && err.option === key && err.message.includes(allowed),
          "a bad value",
        );
      });

      if (row.scope === "connections")
        it("createTargetSet takes it: a bad value is refused naming it", () => {
          const options = {
            name: "vault.internal",
            dnsServers: [{ host: "127.0.0.1", port: 9 }],
            log: quiet,
          };
          assert.throws(
            () => createTargetSet({ ...options, ...at(key, badValue(row)) }),
            (err: unknown) => err instanceof InvalidOptionError && err.option === key,
          );
          createTargetSet({ ...options, ...at(key, value) }).close();
        });

      if (row.env !== undefined) {
        const variable = row.env;
        const apps = [
          {
            app: "hello",
            names: HELLO_DISCOVERY.names as readonly string[],
            parse: (env: Record<string, string>) => parseHelloConfig({ NAME_SERVER: URL, ...env }, "h"),
          },
          {
            app: "forwarder",
            names: FORWARDER_DISCOVERY.names as readonly string[],
            parse: (env: Record<string, string>) =>
              parseForwarderConfig({ FORWARDS: "vault.internal=8200", ...env }),
          },
        ];
        it(`hello reads ${variable}`, () =>
          assert.ok(HELLO_DISCOVERY.names.some((name) => name === key.split(".")[0])));
        if (row.scope === "connections")
          it(`the forwarder reads ${variable} (its target set takes the option)`, () =>
            assert.ok(FORWARDER_DISCOVERY.names.some((name) => name === key.split(".")[0])));
        for (const { app, names, parse } of apps.filter((a) => a.names.includes(key.split(".")[0])))
          it(`${app}: ${variable} sets it, a bad value is reported naming the variable and what is allowed`, () => {
            const parsed = parse({ [variable]: inEnv(row, value) });
            assert.ok(parsed.ok, JSON.stringify(parsed));
            assert.deepEqual(valueAt(parsed.config.discovery, key), value);
            const bad = parse({ [variable]: inEnv(row, badValue(row)) });
            assert.ok(!bad.ok);
            assert.equal(bad.errors.length, 1, bad.errors.join("\n"));
            assert.match(bad.errors[0], new RegExp(`^${variable}=".*" is invalid: expected `));
            const allowed =
              row.type === "choice"
                ? `one of ${row.choices.join(", ")}`
                : `from ${row.min * (row.envScale ?? 1)} to ${row.max * (row.envScale ?? 1)}`;
            assert.ok(bad.errors[0].includes(allowed), bad.errors[0]);
            assert.ok(names.length > 0);
          });
      }
    });
  }

  it("an option out of order with its atMost is refused by the client and reported by both apps, naming both", () => {
    for (const [key, row] of ROWS) {
      if (row.type === "choice" || row.atMost === undefined) continue;
      const limitKey = row.atMost;
      const other = (OPTIONS as Record<string, OptionRow>)[limitKey] as OptionRow & { min: number };
      const small = other.min;
      const big = small + 1;
      assert.throws(
        () => resolveOptions({ url: URL, ...merge(at(limitKey, small), at(key, big)) }),
        (err: unknown) =>
          err instanceof InvalidOptionError && err.option === key && err.message.includes(limitKey),
      );
      if (row.env === undefined || other.env === undefined) continue;
      const env = { [row.env]: String(big), [other.env]: String(small) };
      for (const parsed of [
        parseHelloConfig({ NAME_SERVER: URL, ...env }, "h"),
        parseForwarderConfig({ FORWARDS: "vault.internal=8200", ...env }),
      ]) {
        assert.ok(!parsed.ok);
        assert.deepEqual(parsed.errors, [
          `${row.env} (${big}) is invalid: expected at most ${other.env} (${small})`,
        ]);
      }
    }
  });
});

/** Two option fragments merged one level deep (both may set members of one object option). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b))
    out[k] =
      typeof v === "object" && typeof out[k] === "object" ? { ...(out[k] as object), ...(v as object) } : v;
  return out;
}
