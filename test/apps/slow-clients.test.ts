// Both apps cut slow-header clients near HEADERS_TIMEOUT_MS (Node alone let 1 000 of them hold
// their sockets for 70 s and more) and keep answering everyone else meanwhile.
import assert from "node:assert/strict";
import { httpGet } from "../../local/net-util";
import { runApp, type RunningApp } from "./support/app-process";
import { slowHeaderClients } from "./support/slow-clients";

describe("apps: slow-header clients are cut at HEADERS_TIMEOUT_MS", function () {
  this.timeout(30_000);
  const started: RunningApp[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((a) => a.kill()));
  });

  async function start(app: "name" | "hello", env: Record<string, string>): Promise<number> {
    const proc = runApp(app, { PORT: "0", HOST: "127.0.0.1", TASK_NAME: `${app}-1`, ...env });
    started.push(proc);
    return (await proc.listening).port;
  }

  for (const app of ["name", "hello"] as const) {
    it(`${app}: 300 slow-header connections closed within ~1 s of a 1 s header timeout; others still served`, async () => {
      const namePort = app === "hello" ? await start("name", {}) : 0;
      const port = await start(app, {
        HEADERS_TIMEOUT_MS: "1000",
        REQUEST_TIMEOUT_MS: "5000",
        ...(app === "hello" ? { NAME_SERVER: `http://127.0.0.1:${namePort}/` } : {}),
      });
      const attack = slowHeaderClients("127.0.0.1", port, { count: 300, dripMs: 200, limitMs: 8000 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(
        (await httpGet(`http://127.0.0.1:${port}/`, 2000)).status,
        200,
        "served during the attack",
      );
      const r = await attack;
      console.log(
        `      ${app}: ${r.closed} closed, last after ${r.lastClosedMs} ms, ${r.stillOpen} still open`,
      );
      assert.equal(r.stillOpen, 0);
      assert.equal(r.closed, 300);
      assert.ok(r.lastClosedMs < 3500, `the last one was closed after ${r.lastClosedMs} ms`);
      assert.equal(r.firstLine, "HTTP/1.1 408 Request Timeout");
    });
  }
});
