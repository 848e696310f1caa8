// The discovery module logs through whatever the host service uses; JSON lines by default.
export type LogLevel = "info" | "warn" | "error";
export type Logger = (msg: string, fields?: Record<string, unknown>, level?: LogLevel) => void;

export const jsonLogger: Logger = (msg, fields = {}, level = "info") => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
};
