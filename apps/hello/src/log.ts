// Hello logs the way its discovery module does: one JSON object per line on stdout.
export { jsonLogger as log } from "./discovery/logger";
export type { Logger } from "./discovery/logger";
