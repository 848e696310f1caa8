// Keep-alive clients in a loop, the way a load balancer's connections to one task behave: each
// client keeps one connection, pauses a little between requests (so at any moment many
// connections are idle with their next request about to be sent), and moves on for good once
// the task answers `Connection: close` (a load balancer stops using a draining target).
import http from "node:http";

export interface KeepAliveLoadOptions {
  clients: number;
  /** Pause between a response and the next request: uniform in [0, thinkMaxMs). */
  thinkMaxMs: number;
  seed: number;
  /** Every client gives up after this long (a bound on the test, not a timeout per request). */
  limitMs: number;
}

export interface KeepAliveLoadResult {
  /** Requests answered 200. */
  requests: number;
  /** Requests answered 200 after `mark()` was called (e.g. once SIGTERM was sent). */
  requestsAfterMark: number;
  /** The connection was reset or closed with a request on it: a 502 for a load balancer's user. */
  resets: number;
  /** Anything else that was not a 200: a non-200 status, a refused connection, a timeout. */
  failures: number;
  /** Clients that ended because the task said `Connection: close`. */
  toldToClose: number;
  /** The first few errors, for the assertion message. */
  samples: string[];
}

export interface KeepAliveLoad {
  /** Counts the requests answered from now on apart (`requestsAfterMark`). */
  mark(): void;
  /** Resolves once every client ended. */
  done: Promise<KeepAliveLoadResult>;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function get(url: string, agent: http.Agent): Promise<{ status: number; close: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, close: /close/i.test(res.headers.connection ?? "") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 5000 ms")));
    req.on("error", reject);
  });
}

export function startKeepAliveLoad(url: string, o: KeepAliveLoadOptions): KeepAliveLoad {
  const random = seeded(o.seed);
  const result: KeepAliveLoadResult = {
    requests: 0,
    requestsAfterMark: 0,
    resets: 0,
    failures: 0,
    toldToClose: 0,
    samples: [],
  };
  let marked = false;
  const until = Date.now() + o.limitMs;
  const note = (what: string): void => {
    if (result.samples.length < 5) result.samples.push(what);
  };
  async function client(): Promise<void> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (Date.now() < until) {
        try {
          const r = await get(url, agent);
          if (r.status !== 200) {
            result.failures += 1;
            note(`HTTP ${r.status}`);
            return;
          }
          result.requests += 1;
          if (marked) result.requestsAfterMark += 1;
          if (r.close) {
            result.toldToClose += 1;
            return;
          }
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === "ECONNRESET" || /socket hang up/.test(e.message)) result.resets += 1;
          else result.failures += 1;
          note(`${e.code ?? ""} ${e.message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.floor(random() * o.thinkMaxMs)));
      }
    } finally {
      agent.destroy();
    }
  }
  return {
    mark: () => (marked = true),
    done: Promise.all(Array.from({ length: o.clients }, client)).then(() => result),
  };
}
