// `npm start`: the local topology with an interactive prompt. Ctrl-C stops everything it started.
import exit from "exit-x";
import * as readline from "node:readline";
import { COMMAND_HELP, COMMANDS, formatTaskTable, parseCommand, type CommandContext } from "./commands";
import { parseCliArgs, USAGE } from "./args";
import { startLiveServer } from "../live/server";
import { portIsFree } from "../net-util";
import { SERVICE, startTopology, type TopologyEvent } from "../topology/topology";

const say = (line: string) => process.stdout.write(`${line}\n`);

function describeEvent(e: TopologyEvent): string {
  switch (e.kind) {
    case "registered":
      return `${e.id} is healthy and registered in DNS`;
    case "deregistered":
      return `${e.id} deregistered from DNS`;
    case "exited":
      return `${e.id} exited (${e.exit.signal ?? `code ${e.exit.code}`})${e.expected ? "" : " unexpectedly"}`;
  }
}

async function main(): Promise<void> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if (parsed.kind === "help") {
    process.stdout.write(USAGE);
    return exit(0);
  }
  if (parsed.kind === "error") {
    process.stderr.write(`error: ${parsed.message}\n\n${USAGE}`);
    return exit(2);
  }
  const o = parsed.options;
  let shuttingDown = false;
  let started = false;

  const shutdown = async (code: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say("\nstopping everything…");
    await live.close();
    await topology.stop();
    say("stopped.");
    exit(code); // once stdout and stderr have drained: a piped transcript arrives whole
  };
  // During start-up startTopology cleans up after itself on error; a signal then waits for it.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (shuttingDown) return exit(130); // second Ctrl-C: give up waiting
      if (started) void shutdown(0);
      else shuttingDown = true;
    });
  }

  for (const [flag, port] of [
    ["--port", o.helloPort],
    ["--dns-port", o.dnsPort],
    ["--ui-port", o.uiPort],
  ] as const) {
    if (port !== 0 && !(await portIsFree("127.0.0.1", port))) {
      process.stderr.write(
        `error: ${flag} ${port}: 127.0.0.1:${port} is already in use; choose another port, or ${flag} 0 for a free one\n`,
      );
      return exit(2);
    }
  }
  say(`starting DNS, ${o.tasks} name task(s) and hello…`);
  // The closures above run only once `started` is set, after both are assigned.
  const topology = await startTopology({
    namespace: o.namespace,
    nameTasks: o.tasks,
    ttlSeconds: o.ttlSeconds,
    deregisterDelayMs: o.deregisterDelayMs,
    helloPort: o.helloPort,
    dnsPort: o.dnsPort,
    recordType: o.recordType,
    verbose: o.verbose,
    onEvent: (e) => {
      // Only what happens on its own: the commands report their own effects.
      if (!started || e.kind === "registered" || (e.kind === "exited" && e.expected)) return;
      say(`* ${describeEvent(e)}`);
      if (e.kind === "exited" && e.id === "hello") {
        say(topology.logs("hello").slice(-10).join("\n"));
        void shutdown(1);
      }
    },
  });
  const live = await startLiveServer({
    topology,
    port: o.uiPort,
    ttlSeconds: o.ttlSeconds,
    deregisterDelayMs: o.deregisterDelayMs,
    onCommand: (command, outcome) => say(`* from the page: ${command}: ${outcome}`),
  }).catch(async (err: Error) => {
    await topology.stop();
    throw new Error(`live page on 127.0.0.1:${o.uiPort}: ${err.message}`);
  });
  started = true;
  if (shuttingDown) {
    shuttingDown = false;
    await shutdown(0);
    return;
  }

  const { host, port } = topology.dnsAddress;
  const service = `${SERVICE}.${o.namespace}`;
  say("");
  say(
    `hello:  ${topology.helloUrl}        try: curl ${topology.helloUrl}   (metrics: ${topology.helloUrl}metrics)`,
  );
  say(`DNS:    ${host}:${port} (UDP+TCP)   try: dig @${host} -p ${port} ${service} ${o.recordType}`);
  say(
    `name:   ${topology.nameServerUrl}  TTL ${o.ttlSeconds} s, deregistration delay ${o.deregisterDelayMs / 1000} s`,
  );
  say(`live:   ${live.url}        open in a browser: tiles per task, hello's view, controls, load, events`);
  say("");
  say(formatTaskTable(topology.tasks()));
  say("");
  say(COMMAND_HELP);

  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: "> " });
  const context: CommandContext = {
    topology,
    deregisterDelayMs: o.deregisterDelayMs,
    commands: COMMANDS,
    quit: async () => {
      rl.close();
      await shutdown(0);
    },
  };
  rl.prompt();
  // One command at a time, in the order typed (or piped), even when one takes a while (add, stop).
  let queue = Promise.resolve();
  rl.on("line", (line) => {
    queue = queue.then(() => runCommand(line));
  });
  const runCommand = async (line: string): Promise<void> => {
    if (shuttingDown) return;
    const cmd = parseCommand(line, SERVICE);
    try {
      if (cmd.kind === "error") say(cmd.message);
      if (cmd.kind === "run") {
        const outcome = await cmd.spec.run(context, cmd.id);
        if (outcome !== undefined) say(outcome);
      }
    } catch (err) {
      say(`error: ${(err as Error).message}`);
    }
    if (!shuttingDown) rl.prompt();
  };
  rl.on("SIGINT", () => void shutdown(0)); // Ctrl-C while readline owns the terminal
  // Ctrl-D on a terminal quits; with stdin from /dev/null or a pipe it just runs until a signal.
  rl.on("close", () => {
    if (process.stdin.isTTY) void shutdown(0);
  });
}

main().catch((err: Error) => {
  process.stderr.write(`error: ${err.message}\n`);
  exit(1);
});
