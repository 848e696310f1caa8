// The interactive commands of `npm start` and the task table: parsing and the table are pure;
// runTaskCommand carries a command out, for the prompt and the live page alike.
import type { TaskInfo, Topology } from "../topology/topology";

/** The commands that change the topology (the others only concern the prompt). */
export type TaskCommand = { kind: "add" } | { kind: "stop" | "kill" | "hang" | "resume"; id: string };

export type Command =
  TaskCommand | { kind: "list" | "quit" | "help" | "none" } | { kind: "error"; message: string };

export const COMMAND_HELP = `Commands (type and press Enter):
  add            start one more name task (scale out)
  stop <id>      graceful stop: SIGTERM, in-flight requests finish; leaves DNS after the delay
  kill <id>      crash: SIGKILL; DNS keeps listing it until the delay has passed
  hang <id>      SIGSTOP: connections are accepted, nothing answers
  resume <id>    SIGCONT a hung task
  list           the task table
  quit           stop everything (Ctrl-C does the same)
  <id> is a task id such as name-2, or just 2`;

export function isTaskCommand(cmd: Command): cmd is TaskCommand {
  return (
    cmd.kind === "add" ||
    cmd.kind === "stop" ||
    cmd.kind === "kill" ||
    cmd.kind === "hang" ||
    cmd.kind === "resume"
  );
}

/** Carries out one command and says what happened, in one line; throws the topology's error otherwise. */
export async function runTaskCommand(
  topology: Pick<Topology, "addTask" | "stopTask" | "hangTask" | "resumeTask">,
  cmd: TaskCommand,
  deregisterDelayMs: number,
): Promise<string> {
  const delay = `${deregisterDelayMs / 1000} s`;
  switch (cmd.kind) {
    case "add": {
      const t = await topology.addTask();
      return `added ${t.id} on ${t.ip}:${t.port}`;
    }
    case "stop":
      await topology.stopTask(cmd.id, { graceful: true });
      return `${cmd.id} stopped; it leaves DNS ${delay} after the stop`;
    case "kill":
      await topology.stopTask(cmd.id, { graceful: false });
      return `${cmd.id} killed; DNS still lists it for ${delay}`;
    case "hang":
      topology.hangTask(cmd.id);
      return `${cmd.id} hung (SIGSTOP); resume ${cmd.id} to wake it`;
    case "resume":
      topology.resumeTask(cmd.id);
      return `${cmd.id} resumed`;
  }
}

/** "2" -> "name-2"; full ids pass through. */
export function normalizeTaskId(raw: string, service: string): string {
  return /^\d+$/.test(raw) ? `${service}-${raw}` : raw;
}

export function parseCommand(line: string, service: string): Command {
  const [word, ...rest] = line.trim().split(/\s+/).filter(Boolean);
  if (word === undefined) return { kind: "none" };
  const verb = word.toLowerCase();
  if (verb === "add" || verb === "list" || verb === "quit" || verb === "help") {
    if (rest.length > 0) return { kind: "error", message: `"${verb}" takes no argument` };
    return { kind: verb };
  }
  if (verb === "exit") return { kind: "quit" };
  if (verb === "ls") return { kind: "list" };
  if (verb === "stop" || verb === "kill" || verb === "hang" || verb === "resume") {
    if (rest.length !== 1)
      return { kind: "error", message: `usage: ${verb} <id>, e.g. ${verb} ${service}-1` };
    return { kind: verb, id: normalizeTaskId(rest[0], service) };
  }
  return { kind: "error", message: `unknown command "${word}"; type help for the list` };
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
