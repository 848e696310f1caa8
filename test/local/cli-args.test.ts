import * as assert from "node:assert/strict";
import { DEFAULTS, parseCliArgs } from "../../local/cli-args";
import { formatTaskTable, parseCommand } from "../../local/cli-commands";

function errorOf(argv: string[]): string {
  const r = parseCliArgs(argv);
  assert.equal(r.kind, "error", `expected an error for ${argv.join(" ")}`);
  return r.kind === "error" ? r.message : "";
}

describe("local CLI flags and commands (pure)", () => {
  it("defaults: namespace internal, 3 tasks, TTL 5 s, delay 2 s, hello on 8080, DNS on a free port", () => {
    assert.deepEqual(parseCliArgs([]), { kind: "run", options: DEFAULTS });
    assert.deepEqual(DEFAULTS, {
      namespace: "internal",
      tasks: 3,
      ttlSeconds: 5,
      deregisterDelayMs: 2000,
      helloPort: 8080,
      dnsPort: 0,
      uiPort: 0,
      recordType: "A",
      verbose: false,
    });
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
