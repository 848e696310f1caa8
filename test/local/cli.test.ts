// `npm start` as a user runs it: the real CLI process, its stdin commands and its exit.
import * as assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { httpGet, waitUntil } from "../../local/net-util";

const ROOT = path.resolve(__dirname, "..", "..");

function startCli(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "local/cli/main.ts", ...args],
    {
      cwd: ROOT,
      env: { ...process.env },
    },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe("local CLI (npm start)", function () {
  this.timeout(60_000);
  let cli: ReturnType<typeof startCli> | undefined;
  afterEach(() => {
    cli?.child.kill("SIGKILL");
    cli = undefined;
  });

  for (const [args, message] of [
    [["--tasks", "0"], /error: --tasks must be a whole number from 1 to 50, got "0"/],
    [["--record-type", "MX"], /error: --record-type must be A or SRV, got "MX"/],
    [["--bogus"], /error: Unknown option '--bogus'/],
  ] as const) {
    it(`bad flag ${args.join(" ")} -> clear error, usage, exit code 2, nothing started`, async () => {
      cli = startCli([...args]);
      assert.equal(await cli.exited, 2);
      assert.match(cli.output(), message);
      assert.match(cli.output(), /Usage: npm start/);
    });
  }

  for (const flag of ["--port", "--ui-port"]) {
    it(`a port in use (${flag}) -> clear error naming the flag, exit code 2`, async () => {
      const blocker = net.createServer();
      await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
      const port = (blocker.address() as net.AddressInfo).port;
      try {
        cli = startCli(flag === "--port" ? ["--port", String(port)] : ["--port", "0", flag, String(port)]);
        assert.equal(await cli.exited, 2);
        assert.match(
          cli.output(),
          new RegExp(`error: ${flag} ${port}: 127\\.0\\.0\\.1:${port} is already in use`),
        );
      } finally {
        await new Promise((r) => blocker.close(r));
      }
    });
  }

  it("starts, prints hello's URL, DNS and the tasks, obeys kill/list/quit, and stops everything", async () => {
    cli = startCli(["--port", "0", "--ttl", "1", "--tasks", "2", "--deregister-delay", "0.2"]);
    const current = cli;
    assert.ok(
      await waitUntil(() => /> $/.test(current.output()), 30_000, 100),
      `no prompt:\n${current.output()}`,
    );
    const out = current.output();
    const helloUrl = /hello:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
    assert.ok(helloUrl, out);
    assert.match(out, /DNS:\s+127\.0\.0\.1:\d+ \(UDP\+TCP\)/);
    assert.match(out, /name-1\s+127\.0\.0\.2:\d+\s+\d+\s+running\s+yes/);
    assert.match(out, /name-2\s+127\.0\.0\.3:\d+/);
    assert.match(out, /kill <id>/);
    assert.equal((await httpGet(helloUrl, 5000)).status, 200);
    const liveUrl = /live:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
    assert.ok(liveUrl, `no live page URL:\n${out}`);
    assert.match((await httpGet(liveUrl, 5000)).body, /<title>Local topology — live<\/title>/);

    current.child.stdin.write("kill 1\n");
    assert.ok(await waitUntil(() => /name-1 killed/.test(current.output()), 10_000), current.output());
    assert.ok(
      await waitUntil(() => /name-1 deregistered from DNS/.test(current.output()), 10_000),
      current.output(),
    );
    current.child.stdin.write("list\n");
    assert.ok(
      await waitUntil(() => /name-1\s+127\.0\.0\.2:\d+\s+\d+\s+stopped\s+no/.test(current.output()), 10_000),
      current.output(),
    );
    assert.equal((await httpGet(helloUrl, 5000)).status, 200, "hello rides on name-2");

    current.child.stdin.write("quit\n");
    assert.equal(await current.exited, 0);
    await assert.rejects(httpGet(helloUrl, 2000), /ECONNREFUSED/);
    await assert.rejects(httpGet(liveUrl, 2000), /ECONNREFUSED/, "the live page stopped too");
  });

  it("SIGINT (Ctrl-C) stops everything it started", async () => {
    cli = startCli(["--port", "0", "--ttl", "1", "--tasks", "1"]);
    const current = cli;
    assert.ok(await waitUntil(() => /> $/.test(current.output()), 30_000, 100), current.output());
    const helloUrl = /hello:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(current.output())?.[1] ?? "";
    const nameUrl = /name-1\s+(127\.0\.0\.2:\d+)/.exec(current.output())?.[1] ?? "";
    current.child.kill("SIGINT");
    assert.equal(await current.exited, 0);
    await assert.rejects(httpGet(helloUrl, 2000), /ECONNREFUSED/);
    await assert.rejects(httpGet(`http://${nameUrl}/`, 2000), /ECONNREFUSED/);
  });
});
