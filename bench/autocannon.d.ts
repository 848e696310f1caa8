// The part of autocannon 8's programmatic API the bench uses (the package ships no types).
declare module "autocannon" {
  import type { EventEmitter } from "node:events";
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds before a request counts as timed out (and as an error). */
      timeout?: number;
    }
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }
    interface Result {
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      resets: number;
      "2xx": number;
      "5xx": number;
      /** Milliseconds. */
      latency: Histogram;
      requests: Histogram & { sent: number };
    }
  }
  /** The running load: a thenable for the result that also emits "tick" once a second. */
  interface Instance extends EventEmitter, PromiseLike<autocannon.Result> {
    on(event: "tick", listener: (tick: { counter: number; bytes: number }) => void): this;
  }
  function autocannon(options: autocannon.Options): Instance;
  export = autocannon;
}
