// Small socket and HTTP helpers shared by the topology, the bench, the image checks and the tests.
// (A pause is node's own: `import { setTimeout as sleep } from "node:timers/promises"`.)
import * as http from "node:http";
import * as net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A TCP port that is free on `host` right now (the OS picks it). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be listened on at `host` right now (TCP). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Fails with a clear message when `host` cannot be bound. On Linux all of 127.0.0.0/8 is on lo;
 * on macOS each extra loopback address needs an alias first.
 */
export async function assertBindable(host: string): Promise<void> {
  try {
    await freePort(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new Error(
      `cannot bind ${host} (${code}). On Linux every 127.0.0.x address is on the loopback interface; ` +
        `on macOS add an alias first: sudo ifconfig lo0 alias ${host} up`,
      { cause: err },
    );
  }
}

export interface HttpResult {
  status: number;
  body: string;
  /** From the request's start to the last byte of the body. */
  ms: number;
}

/**
 * The one GET helper of the local tools, the bench, the image checks and the tests: a hard time
 * limit on connect + whole response, and a fresh connection each time unless an agent is given.
 */
export function httpGet(
  url: string,
  timeoutMs = 5000,
  agent: http.Agent | false = false,
): Promise<HttpResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body, ms: Date.now() - started });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`GET ${url}: no full response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: idle for ${timeoutMs} ms`)));
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** GET a JSON document (e.g. /metrics), failing on a non-200 status. */
export async function getJson<T>(url: string, timeoutMs = 2000): Promise<T> {
  const r = await httpGet(url, timeoutMs);
  if (r.status !== 200) throw new Error(`GET ${url}: status ${r.status}: ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as T;
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; returns the last result. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
