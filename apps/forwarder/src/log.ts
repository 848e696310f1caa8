// The forwarder logs the way the discovery library does: one JSON object per line on stdout.
export { jsonLogger as log } from "../../hello/src/discovery/connections";
export type { Logger } from "../../hello/src/discovery/connections";
