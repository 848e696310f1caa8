// One JSON object per line on stdout: what CloudWatch Logs and the local topology both read.
export type LogFields = Record<string, unknown>;

export function log(msg: string, fields: LogFields = {}, level: "info" | "warn" | "error" = "info"): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
}
