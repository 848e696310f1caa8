// name as a real process: the contract's answers, counters, bad configuration and drain.
import assert from "node:assert/strict";
import http from "node:http";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { APPS_DIR, runApp, SHIPPED_NODE, type RunningApp } from "./support/app-process";
import { setTimeout as sleep } from "node:timers/promises";
import { httpGet } from "../../local/net-util";
import { parseNameConfig } from "../../apps/name/src/config";
import { FIRST_NAMES, nameAnswer, pickName } from "../../apps/name/src/names";

describe("name: configuration and answer (pure)", () => {
  it("uses the contract's defaults", () => {
    const parsed = parseNameConfig({}, "host-a");
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.config, {
      port: 3000,
      host: "0.0.0.0",
      taskName: "host-a",
      responseDelayMs: 0,
      drainDelayMs: 5000,
      drainTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      metrics: { intervalMs: 60_000, stack: "local" },
    });
  });

  it("reports every bad variable at once, naming it and what is allowed", () => {
    const parsed = parseNameConfig({ PORT: "70000", RESPONSE_DELAY_MS: "soon", TASK_NAME: "two words" }, "h");
    assert.ok(!parsed.ok);
    assert.equal(parsed.errors.length, 3);
    assert.match(parsed.errors[0], /^PORT="70000" is invalid: expected an integer from 0 to 65535$/);
    assert.match(parsed.errors[1], /^TASK_NAME=/);
    assert.match(parsed.errors[2], /^RESPONSE_DELAY_MS="soon" is invalid/);
  });

  it("answers '<first name> (from <task>)' with a name from the list", () => {
    assert.equal(
      nameAnswer(
        pickName(() => 0),
        "ip-10-0-1-23",
      ),
      `${FIRST_NAMES[0]} (from ip-10-0-1-23)`,
    );
    assert.equal(
      pickName(() => 0.9999999),
      FIRST_NAMES[FIRST_NAMES.length - 1],
    );
  });
});

describe("name: process", () => {
  let app: RunningApp | undefined;
  afterEach(async () => {
    await app?.kill();
    app = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<string> {
    app = runApp("name", { PORT: "0", HOST: "127.0.0.1", TASK_NAME: "task-1", ...env });
    const { address, port } = await app.listening;
    return `http://${address}:${port}`;
  }

  it("logs 'listening' first, answers /, /health and /metrics per the contract", async () => {
    const url = await start();
    assert.equal(app?.lines[0].msg, "listening");
    for (let i = 0; i < 3; i++) {
      const r = await httpGet(`${url}/`);
      assert.equal(r.status, 200);
      assert.match(r.body, /^[A-Z][a-z]+ \(from task-1\)$/);
    }
    assert.deepEqual(JSON.parse((await httpGet(`${url}/health`)).body), { status: "ok" });
    assert.deepEqual(JSON.parse((await httpGet(`${url}/metrics`)).body), { task: "task-1", requests: 3 });
    assert.equal((await httpGet(`${url}/nope`)).status, 404);
  });

  it("dist/healthcheck.js exits 0 iff 127.0.0.1:$PORT/health answers 200", async () => {
    const url = await start();
    const port = new URL(url).port;
    const check = (p: string) =>
      spawnSync(SHIPPED_NODE ?? process.execPath, [path.join(APPS_DIR, "name", "dist", "healthcheck.js")], {
        env: { PORT: p },
        timeout: 5000,
      }).status;
    assert.equal(check(port), 0);
    await app?.kill();
    assert.equal(check(port), 1);
  });

  it("exits 2 on bad configuration, naming the variable", async () => {
    app = runApp("name", { PORT: "abc" });
    const { code } = await app.exited;
    assert.equal(code, 2);
    assert.match(app.stderr(), /PORT="abc" is invalid: expected an integer from 0 to 65535/);
  });

  it("a drain delay must end before the drain timeout; a header timeout within the request timeout", () => {
    const parsed = parseNameConfig(
      {
        DRAIN_DELAY_MS: "10000",
        DRAIN_TIMEOUT_MS: "10000",
        HEADERS_TIMEOUT_MS: "5000",
        REQUEST_TIMEOUT_MS: "1000",
      },
      "h",
    );
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.errors, [
      "DRAIN_DELAY_MS (10000) is invalid: expected less than DRAIN_TIMEOUT_MS (10000)",
      "HEADERS_TIMEOUT_MS (5000) is invalid: expected at most REQUEST_TIMEOUT_MS (1000)",
    ]);
    assert.ok(parseNameConfig({ DRAIN_DELAY_MS: "0", DRAIN_TIMEOUT_MS: "0" }, "h").ok);
  });

  it("on SIGTERM (no drain delay) finishes the in-flight request, refuses new connections, exits 0", async () => {
    const url = await start({ RESPONSE_DELAY_MS: "600", DRAIN_DELAY_MS: "0" });
    const inFlight = httpGet(`${url}/`);
    await sleep(150);
    app?.child.kill("SIGTERM");
    await sleep(100);
    await assert.rejects(httpGet(`${url}/health`, 1000), /ECONNREFUSED/);
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.match(r.body, /\(from task-1\)$/);
    const { code } = await (app as RunningApp).exited;
    assert.equal(code, 0);
    assert.ok(app?.lines.some((l) => l.msg === "drained"));
  });

  it("closes connections idle through the drain delay instead of waiting for them", async () => {
    const url = await start({ DRAIN_DELAY_MS: "300" });
    const agent = new http.Agent({ keepAlive: true });
    try {
      await new Promise<void>((resolve, reject) =>
        http.get(`${url}/health`, { agent }, (res) => res.resume().on("end", resolve)).on("error", reject),
      );
      const started = Date.now();
      app?.child.kill("SIGTERM");
      const { code } = await (app as RunningApp).exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - started < 2000, "an idle keep-alive connection held the drain");
    } finally {
      agent.destroy();
    }
  });
});
