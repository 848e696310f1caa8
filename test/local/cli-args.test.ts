import * as assert from "node:assert/strict";
import { DEFAULTS, parseCliArgs, USAGE } from "../../local/cli/args";
import {
  checkCommands,
  commandHelp,
  COMMAND_HELP,
  COMMANDS,
  formatTaskTable,
  pageControls,
  parseCommand,
  type CommandSpec,
} from "../../local/cli/commands";

/** A parsed line as the command's name and id, or parseCommand's answer as it is. */
function parsed(line: string, commands?: readonly CommandSpec[]) {
  const cmd = parseCommand(line, "name", commands);
  return cmd.kind === "run" ? { name: cmd.spec.name, id: cmd.id } : cmd;
}

/** A command that is in no table yet: one entry is all it takes. */
const PAUSE: CommandSpec = {
  name: "pause",
  takesId: true,
  help: "pause a task for a while",
  page: { place: "tile", label: "Pause", states: ["running"] },
  run: (_ctx, id) => `${id} paused`,
};

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
    assert.deepEqual(parsed("  kill 2 "), { name: "kill", id: "name-2" });
    assert.deepEqual(parsed("hang name-3"), { name: "hang", id: "name-3" });
    assert.deepEqual(parsed("ADD"), { name: "add", id: "" });
    assert.deepEqual(parsed(""), { kind: "none" });
    assert.deepEqual(parsed("exit"), { name: "quit", id: "" });
    assert.deepEqual(parsed("ls"), { name: "list", id: "" });
    assert.deepEqual(parsed("help"), { name: "help", id: "" });
    assert.deepEqual(parsed("stop"), { kind: "error", message: "usage: stop <id>, e.g. stop name-1" });
    assert.deepEqual(parsed("add 2"), { kind: "error", message: '"add" takes no argument' });
    assert.deepEqual(parsed("reboot"), {
      kind: "error",
      message: 'unknown command "reboot"; type help for the list',
    });
  });

  it("the help text is read from the command table: a line per listed command, in its order", () => {
    const lines = COMMAND_HELP.split("\n");
    assert.equal(lines[0], "Commands (type and press Enter):");
    assert.equal(lines[1], "  add            start one more name task (scale out)");
    assert.equal(
      lines[3],
      "  kill <id>      crash: SIGKILL; DNS keeps listing it until the delay has passed",
    );
    assert.deepEqual(
      lines.slice(1, -1).map((l) => l.trim().split(/\s+/)[0]),
      ["add", "stop", "kill", "hang", "resume", "list", "quit"],
      "help is in the table but not listed",
    );
    assert.equal(lines.at(-1), "  <id> is a task id such as name-2, or just 2");
  });

  it("a command added to the table alone parses, is in the help text and is a page control", () => {
    const table = [...COMMANDS, PAUSE];
    assert.deepEqual(parsed("pause 2", table), { name: "pause", id: "name-2" });
    assert.deepEqual(parsed("pause", table), {
      kind: "error",
      message: "usage: pause <id>, e.g. pause name-1",
    });
    assert.match(
      commandHelp(table),
      /\n {2}quit {11}stop everything.*\n {2}pause <id> {5}pause a task for a while\n/,
    );
    assert.deepEqual(pageControls(table).at(-1), {
      command: "pause",
      place: "tile",
      label: "Pause",
      title: "pause a task for a while",
      states: ["running"],
    });
    // The prompt's own table does not know it.
    assert.equal(parseCommand("pause 2", "name").kind, "error");
    assert.doesNotMatch(COMMAND_HELP, /pause/);
    assert.ok(!pageControls().some((c) => c.command === "pause"));
  });

  it("the page's controls: add in the Controls section; stop, kill, hang, resume on tiles; list, quit, help on none", () => {
    assert.deepEqual(
      pageControls().map((c) => [c.command, c.place, c.label]),
      [
        ["add", "controls", "Add a name task"],
        ["stop", "tile", "Stop"],
        ["kill", "tile", "Kill"],
        ["hang", "tile", "Hang"],
        ["resume", "tile", "Resume"],
      ],
    );
    const resume = pageControls().find((c) => c.command === "resume");
    assert.deepEqual(resume?.place === "tile" && resume.states, ["hung"]);
  });

  it("a table the parser or the page could not serve is refused, naming the command", () => {
    assert.throws(
      () => checkCommands([...COMMANDS, { ...PAUSE, name: "kill" }]),
      /command "kill" is in the table twice/,
    );
    assert.throws(
      () => checkCommands([...COMMANDS, { ...PAUSE, aliases: ["ls"] }]),
      /command "ls" is in the table twice/,
    );
    assert.throws(
      () => checkCommands([{ ...PAUSE, takesId: false }]),
      /command "pause": a tile button sends the task's id, so it must take one/,
    );
    assert.throws(
      () => checkCommands([{ ...PAUSE, page: { place: "controls", label: "Pause" } }]),
      /command "pause": a Controls button sends no id, so it must take none/,
    );
    assert.throws(
      () => checkCommands([{ ...PAUSE, name: "Pause now" }]),
      /command "Pause now": a command word/,
    );
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
