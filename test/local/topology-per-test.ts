// The end-to-end tests' local topology: one per test, started with the tests' hello tuning and
// stopped after the test whatever happened.
import { startTopology, type Topology, type TopologyOptions } from "../../local/topology/topology";

/**
 * hello tuning for the end-to-end tests, through its documented environment variables. Kept empty
 * while hello's defaults suit a 1 s TTL; anything set here must be a real tuning knob.
 */
export const HELLO_TEST_ENV: Readonly<Record<string, string>> = {};

/** Call inside a describe: stops each test's topology after it, and returns the function that starts one. */
export function topologyPerTest(): (options?: TopologyOptions) => Promise<Topology> {
  let current: Topology | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (options = {}) => {
    current = await startTopology({ ...options, helloEnv: { ...HELLO_TEST_ENV, ...options.helloEnv } });
    return current;
  };
}
