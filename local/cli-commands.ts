// The interactive commands of `npm start` and the task table, as pure functions.
import type { TaskInfo } from "./topology";

export type Command =
  | { kind: "add" | "list" | "quit" | "help" | "none" }
  | { kind: "stop" | "kill" | "hang" | "resume"; id: string }
  | { kind: "error"; message: string };

export const COMMAND_HELP = `Commands (type and press Enter):
  add            start one more name task (scale out)
  stop <id>      graceful stop: SIGTERM, in-flight requests finish; leaves DNS after the delay
  kill <id>      crash: SIGKILL; DNS keeps listing it until the delay has passed
  hang <id>      SIGSTOP: connections are accepted, nothing answers
  resume <id>    SIGCONT a hung task
  list           the task table
  quit           stop everything (Ctrl-C does the same)
  <id> is a task id such as name-2, or just 2`;

/** "2" -> "name-2"; full ids pass through. */
export function normalizeTaskId(raw: string, service: string): string {
  return /^\d+$/.test(raw) ? `${service}-${raw}` : raw;
}

export function parseCommand(line: string, service: string): Command {
  const [word, ...rest] = line.trim().split(/\s+/).filter(Boolean);
  if (word === undefined) return { kind: "none" };
  const verb = word.toLowerCase();
  if (verb === "add" || verb === "list" || verb === "quit" || verb === "help") {
    return rest.length === 0 ? { kind: verb } : { kind: "error", message: `"${verb}" takes no argument` };
  }
  if (verb === "exit") return { kind: "quit" };
  if (verb === "ls") return { kind: "list" };
  if (verb === "stop" || verb === "kill" || verb === "hang" || verb === "resume") {
    if (rest.length !== 1) return { kind: "error", message: `usage: ${verb} <id>, e.g. ${verb} ${service}-1` };
    return { kind: verb, id: normalizeTaskId(rest[0], service) };
  }
  return { kind: "error", message: `unknown command "${word}"; type help for the list` };
}

/** A fixed-width table of the tasks, one line each, header first. */
export function formatTaskTable(tasks: readonly TaskInfo[]): string {
  const rows = [
    ["ID", "ADDRESS", "PID", "STATE", "IN DNS"],
    ...tasks.map((t) => [t.id, `${t.ip}:${t.port}`, String(t.pid ?? "-"), t.state, t.registered ? "yes" : "no"]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd()).join("\n");
}
