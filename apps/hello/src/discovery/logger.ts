// The discovery module logs through whatever the host service uses, and says nothing unless given
// a logger. jsonLogger (one JSON object per line on stdout) is there for services that want it.
export type LogLevel = "info" | "warn" | "error";
export type Logger = (msg: string, fields?: Record<string, unknown>, level?: LogLevel) => void;

export const silentLogger: Logger = () => {};

export const jsonLogger: Logger = (msg, fields = {}, level = "info") => {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + "\n");
};
