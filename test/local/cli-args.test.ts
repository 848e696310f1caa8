import * as assert from "node:assert/strict";
import { DEFAULTS, parseCliArgs, USAGE } from "../../local/cli/args";
import { formatTaskTable, parseCommand } from "../../local/cli/commands";

function errorOf(argv: string[]): string {
  const r = parseCliArgs(argv);
  assert.equal(r.kind, "error", `expected an error for ${argv.join(" ")}`);
  return r.kind === "error" ? r.message : "";
}

describe("local CLI flags and commands (pure)", () => {
  it("the defaults are the ones --help states: giving each stated default as a flag changes nothing", () => {
    const defaults = parseCliArgs([]);
    assert.deepEqual(defaults, { kind: "run", options: DEFAULTS });
    const stated = [...USAGE.matchAll(/^ {2}(--[a-z-]+) <[^>]+> +.*\(default: ([^)]+)\)$/gm)];
    assert.deepEqual(
      stated.map(([, flag]) => flag),
      [
        "--namespace",
        "--tasks",
        "--ttl",
        "--deregister-delay",
        "--port",
        "--dns-port",
        "--ui-port",
        "--record-type",
      ],
    );
    for (const [, flag, value] of stated)
      assert.deepEqual(parseCliArgs([flag, value]), defaults, `${flag} ${value}`);
    assert.equal(DEFAULTS.verbose, false);
  });

  it("--namespace follows RFC 1035 as the program does: labels of 1-63 characters, 253 in all", () => {
    const label63 = "a".repeat(63);
    const name253 = [label63, label63, label63, "b".repeat(61)].join(".");
    assert.equal(name253.length, 253);
    const namespaceOf = (name: string) => {
      const r = parseCliArgs(["--namespace", name]);
      return r.kind === "run" ? r.options.namespace : r.kind === "error" ? r.message : "help";
    };
    assert.equal(namespaceOf(name253), name253);
    assert.match(namespaceOf(`${name253}b`), /--namespace must be a lower-case DNS name/);
    assert.equal(namespaceOf(`${label63}.internal`), `${label63}.internal`);
    assert.match(namespaceOf(`${label63}a.internal`), /--namespace must be a lower-case DNS name/);
  });

  it("reads every flag", () => {
    const r = parseCliArgs([
      "--namespace",
      "local.example",
      "--tasks",
      "5",
      "--ttl",
      "1",
      "--deregister-delay",
      "0.5",
      "--port",
      "0",
      "--dns-port",
      "5353",
      "--ui-port",
      "8081",
      "--record-type",
      "srv",
      "--verbose",
    ]);
    assert.deepEqual(r, {
      kind: "run",
      options: {
        namespace: "local.example",
        tasks: 5,
        ttlSeconds: 1,
        deregisterDelayMs: 500,
        helloPort: 0,
        dnsPort: 5353,
        uiPort: 8081,
        recordType: "SRV",
        verbose: true,
      },
    });
    assert.deepEqual(parseCliArgs(["-h"]), { kind: "help" });
  });

  it("bad values name the flag and what is allowed", () => {
    assert.match(errorOf(["--tasks", "0"]), /--tasks must be a whole number from 1 to 50, got "0"/);
    assert.match(errorOf(["--tasks", "two"]), /--tasks .* got "two"/);
    assert.match(errorOf(["--port", "70000"]), /--port must be a whole number from 0 to 65535/);
    assert.match(errorOf(["--ui-port", "x"]), /--ui-port must be a whole number from 0 to 65535, got "x"/);
    assert.match(errorOf(["--ttl", "-1"]), /--ttl/);
    assert.match(errorOf(["--deregister-delay", "soon"]), /--deregister-delay must be a number of seconds/);
    assert.match(errorOf(["--record-type", "AAAA"]), /--record-type must be A or SRV, got "AAAA"/);
    assert.match(errorOf(["--namespace", "Bad_Name"]), /--namespace must be a lower-case DNS name/);
    assert.match(errorOf(["--colour"]), /Unknown option '--colour'/);
    assert.match(errorOf(["--port"]), /--port/);
    assert.match(errorOf(["start"]), /unexpected argument "start"/);
  });

  it("parses the interactive commands", () => {
    assert.deepEqual(parseCommand("  kill 2 ", "name"), { kind: "kill", id: "name-2" });
    assert.deepEqual(parseCommand("hang name-3", "name"), { kind: "hang", id: "name-3" });
    assert.deepEqual(parseCommand("ADD", "name"), { kind: "add" });
    assert.deepEqual(parseCommand("", "name"), { kind: "none" });
    assert.deepEqual(parseCommand("exit", "name"), { kind: "quit" });
    assert.equal(parseCommand("stop", "name").kind, "error");
    assert.equal(parseCommand("add 2", "name").kind, "error");
    assert.deepEqual(parseCommand("reboot", "name"), {
      kind: "error",
      message: 'unknown command "reboot"; type help for the list',
    });
  });

  it("formats the task table in aligned columns", () => {
    const table = formatTaskTable([
      { id: "name-1", ip: "127.0.0.2", port: 3000, url: "", pid: 11, state: "running", registered: true },
      {
        id: "name-10",
        ip: "127.0.0.11",
        port: 3000,
        url: "",
        pid: undefined,
        state: "stopped",
        registered: false,
      },
    ]);
    assert.equal(
      table,
      [
        "ID       ADDRESS          PID  STATE    IN DNS",
        "name-1   127.0.0.2:3000   11   running  yes",
        "name-10  127.0.0.11:3000  -    stopped  no",
      ].join("\n"),
    );
  });
});
