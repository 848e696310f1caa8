// The commands of the local topology in one table, COMMANDS: the prompt's parser, its help text and
// the live page's controls are all read from it, so a new command is one entry here. The task
// table's formatting lives here too; everything but `run` is pure.
import type { DisplayState } from "../live/model";
import type { TaskInfo, Topology } from "../topology/topology";

/** What a command may use. */
export interface CommandContext {
  topology: Pick<Topology, "addTask" | "stopTask" | "hangTask" | "resumeTask" | "tasks">;
  deregisterDelayMs: number;
  /** The table in use, for help. */
  commands: readonly CommandSpec[];
  /** Stops everything and ends the prompt: the prompt's alone, absent for a command from the page. */
  quit?: () => Promise<void>;
}

/**
 * How the live page offers a command: one button in the Controls section (a command without an
 * argument), or one on each task's tile in the states listed (a command that takes the task's id).
 */
export type PageControl =
  | { place: "controls"; label: string; title?: string }
  | { place: "tile"; label: string; title?: string; states: readonly DisplayState[] };

export interface CommandSpec {
  name: string;
  /** Other words that run it (`ls` for list). */
  aliases?: readonly string[];
  /** Whether it takes one task id (name-2, or just 2). */
  takesId?: boolean;
  /** Its line in the help text; without one it is not listed (help itself). */
  help?: string;
  /** Its control on the live page; without one the page may not send it (the prompt's own). */
  page?: PageControl;
  /** Carries it out and says what happened (the prompt prints it, the page shows it); throws the topology's error. */
  run(ctx: CommandContext, id: string): string | undefined | Promise<string | undefined>;
}

/** The table. The help text lists the commands in this order, and the tiles their buttons. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "add",
    help: "start one more name task (scale out)",
    page: { place: "controls", label: "Add a name task" },
    async run({ topology }) {
      const t = await topology.addTask();
      return `added ${t.id} on ${t.ip}:${t.port}`;
    },
  },
  {
    name: "stop",
    takesId: true,
    help: "graceful stop: SIGTERM, in-flight requests finish; leaves DNS after the delay",
    page: {
      place: "tile",
      label: "Stop",
      title: "graceful stop: SIGTERM, in-flight requests finish",
      states: ["starting", "running", "hung"],
    },
    async run({ topology, deregisterDelayMs }, id) {
      await topology.stopTask(id, { graceful: true });
      return `${id} stopped; it leaves DNS ${seconds(deregisterDelayMs)} after the stop`;
    },
  },
  {
    name: "kill",
    takesId: true,
    help: "crash: SIGKILL; DNS keeps listing it until the delay has passed",
    page: {
      place: "tile",
      label: "Kill",
      title: "crash: SIGKILL, DNS keeps listing it for the deregistration delay",
      states: ["starting", "running", "hung", "draining"],
    },
    async run({ topology, deregisterDelayMs }, id) {
      await topology.stopTask(id, { graceful: false });
      return `${id} killed; DNS still lists it for ${seconds(deregisterDelayMs)}`;
    },
  },
  {
    name: "hang",
    takesId: true,
    help: "SIGSTOP: connections are accepted, nothing answers",
    page: { place: "tile", label: "Hang", states: ["starting", "running"] },
    run({ topology }, id) {
      topology.hangTask(id);
      return `${id} hung (SIGSTOP); resume ${id} to wake it`;
    },
  },
  {
    name: "resume",
    takesId: true,
    help: "SIGCONT a hung task",
    page: { place: "tile", label: "Resume", states: ["hung"] },
    run({ topology }, id) {
      topology.resumeTask(id);
      return `${id} resumed`;
    },
  },
  {
    name: "list",
    aliases: ["ls"],
    help: "the task table",
    run({ topology }) {
      return formatTaskTable(topology.tasks());
    },
  },
  {
    name: "quit",
    aliases: ["exit"],
    help: "stop everything (Ctrl-C does the same)",
    async run({ quit }) {
      if (!quit) throw new Error("quit is the prompt's own");
      await quit();
      return undefined;
    },
  },
  {
    name: "help",
    run({ commands }) {
      return commandHelp(commands);
    },
  },
];

const seconds = (ms: number) => `${ms / 1000} s`;

/** Throws on a table the parser or the page could not serve: a word used twice, a control that does not fit. */
export function checkCommands(commands: readonly CommandSpec[]): void {
  const seen = new Set<string>();
  for (const c of commands) {
    for (const word of [c.name, ...(c.aliases ?? [])]) {
      if (!/^[a-z][a-z-]*$/.test(word))
        throw new Error(`command "${word}": a command word is lower-case letters and -`);
      if (seen.has(word)) throw new Error(`command "${word}" is in the table twice`);
      seen.add(word);
    }
    if (c.page?.place === "tile" && !c.takesId)
      throw new Error(`command "${c.name}": a tile button sends the task's id, so it must take one`);
    if (c.page?.place === "controls" && c.takesId)
      throw new Error(`command "${c.name}": a Controls button sends no id, so it must take none`);
  }
}
checkCommands(COMMANDS);

/** The prompt's help text, a line per listed command. */
export function commandHelp(commands: readonly CommandSpec[] = COMMANDS): string {
  const listed = commands.filter((c) => c.help !== undefined);
  const usage = (c: CommandSpec) => (c.takesId ? `${c.name} <id>` : c.name);
  const width = Math.max(13, ...listed.map((c) => usage(c).length)) + 2;
  return [
    "Commands (type and press Enter):",
    ...listed.map((c) => `  ${usage(c).padEnd(width)}${c.help}`),
    ...(commands.some((c) => c.takesId) ? ["  <id> is a task id such as name-2, or just 2"] : []),
  ].join("\n");
}

export const COMMAND_HELP = commandHelp();

/** The page's part of the table, as GET /api/commands serves it to the page (a control's title defaults to the help line). */
export function pageControls(
  commands: readonly CommandSpec[] = COMMANDS,
): Array<PageControl & { command: string; title: string }> {
  return commands.flatMap((c) =>
    c.page ? [{ command: c.name, ...c.page, title: c.page.title ?? c.help ?? "" }] : [],
  );
}

export type Command =
  { kind: "run"; spec: CommandSpec; id: string } | { kind: "none" } | { kind: "error"; message: string };

/** "2" -> "name-2"; full ids pass through. */
export function normalizeTaskId(raw: string, service: string): string {
  return /^\d+$/.test(raw) ? `${service}-${raw}` : raw;
}

/** One line typed at the prompt (or sent by the page): the command it names and its task id. */
export function parseCommand(
  line: string,
  service: string,
  commands: readonly CommandSpec[] = COMMANDS,
): Command {
  const [word, ...rest] = line.trim().split(/\s+/).filter(Boolean);
  if (word === undefined) return { kind: "none" };
  const verb = word.toLowerCase();
  const spec = commands.find((c) => c.name === verb || c.aliases?.includes(verb));
  if (!spec) return { kind: "error", message: `unknown command "${word}"; type help for the list` };
  if (!spec.takesId) {
    if (rest.length > 0) return { kind: "error", message: `"${verb}" takes no argument` };
    return { kind: "run", spec, id: "" };
  }
  if (rest.length !== 1) return { kind: "error", message: `usage: ${verb} <id>, e.g. ${verb} ${service}-1` };
  return { kind: "run", spec, id: normalizeTaskId(rest[0], service) };
}

/** A fixed-width table of the tasks, one line each, header first. */
export function formatTaskTable(tasks: readonly TaskInfo[]): string {
  const rows = [
    ["ID", "ADDRESS", "PID", "STATE", "IN DNS"],
    ...tasks.map((t) => [
      t.id,
      `${t.ip}:${t.port}`,
      String(t.pid ?? "-"),
      t.state,
      t.registered ? "yes" : "no",
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
