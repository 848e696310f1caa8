// hello against a hostile name: huge, endless, malformed, slow answers and connections closed
// mid-body. hello answers each with a stable error code that names nothing internal, stays up,
// and its memory stays bounded (its peak resident set, VmHWM, is read from /proc).
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import { once } from "node:events";
import { httpGet } from "../../local/net-util";
import { runApp, type RunningApp } from "./support/app-process";

type Mode = "huge-declared" | "huge-chunked" | "endless" | "malformed" | "slow" | "closes-mid-body";

const MB = 1024 * 1024;
/** A reply this big passed through as a 200 and took hello to 1 GB before the cap. */
const HUGE = 200 * MB;
/** hello's peak resident set must stay below this (an ECS task of hello has 512 MiB). */
const PEAK_RSS_LIMIT = 160 * MB;

/** Writes `total` bytes (Infinity: until the peer goes) in 64 kB pieces, honouring backpressure. */
async function pour(socket: net.Socket, total: number, frame: (piece: Buffer) => Buffer[]): Promise<void> {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  for (let sent = 0; sent < total && !socket.destroyed; sent += piece.length) {
    let ok = true;
    for (const b of frame(piece)) ok = socket.write(b) && ok;
    if (!ok)
      await new Promise<void>((resolve) => {
        const go = (): void => {
          socket.off("drain", go).off("close", go);
          resolve();
        };
        socket.on("drain", go).on("close", go);
      });
  }
}

/** A TCP server speaking (or not quite speaking) HTTP/1.1 the way `mode()` says. */
async function startHostileName(mode: () => Mode): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined); // hello hangs up on purpose
    let head = "";
    socket.on("data", (d: Buffer) => {
      if (head.includes("\r\n\r\n")) return;
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) void answer(socket, mode());
    });
  });
  async function answer(socket: net.Socket, m: Mode): Promise<void> {
    switch (m) {
      case "huge-declared":
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${HUGE}\r\n\r\n`);
        return pour(socket, HUGE, (p) => [p]);
      case "huge-chunked":
      case "endless":
        socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        return pour(socket, m === "endless" ? Infinity : HUGE, (p) => [
          Buffer.from(`${p.length.toString(16)}\r\n`),
          p,
          Buffer.from("\r\n"),
        ]);
      case "malformed":
        socket.end("HTTP/1.1 2OO OK\r\nContent-Length: nope\r\n\r\nSophia");
        return;
      case "slow": {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        const drip = setInterval(() => (socket.destroyed ? clearInterval(drip) : socket.write("S")), 200);
        socket.on("close", () => clearInterval(drip));
        return;
      }
      case "closes-mid-body":
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nSoph");
        setTimeout(() => socket.destroy(), 20);
        return;
    }
  }
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** VmHWM: the process's peak resident set size so far, bytes (Linux). */
function peakRss(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmHWM:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1]) * 1024;
}

describe("hello against a hostile name (huge, endless, malformed, slow, closing mid-body)", function () {
  this.timeout(60_000);
  let mode: Mode = "huge-declared";
  let name: { port: number; close(): Promise<void> };
  let hello: RunningApp;
  let url: string;

  before(function () {
    if (!fs.existsSync("/proc/self/status")) this.skip(); // peak memory is read from /proc (Linux)
  });
  before(async () => {
    name = await startHostileName(() => mode);
    hello = runApp("hello", {
      PORT: "0",
      HOST: "127.0.0.1",
      TASK_NAME: "hello-1",
      NAME_SERVER: `http://127.0.0.1:${name.port}/`, // an IP address: no DNS
      // Long enough for a 200 MB body to arrive in full were it not capped.
      RESPONSE_TIMEOUT_MS: "3000",
      REQUEST_DEADLINE_MS: "20000",
    });
    url = `http://127.0.0.1:${(await hello.listening).port}/`;
    const atStart = peakRss(hello.pid as number);
    console.log(`      hello's peak RSS (VmHWM) after start: ${(atStart / MB).toFixed(1)} MiB`);
  });
  after(async () => {
    await hello?.kill();
    await name?.close();
  });

  const cases: [Mode, number, string][] = [
    ["huge-declared", 502, "NAME_ANSWER_TOO_LARGE: name's answer was larger than hello accepts\n"],
    ["huge-chunked", 502, "NAME_ANSWER_TOO_LARGE: name's answer was larger than hello accepts\n"],
    ["endless", 502, "NAME_ANSWER_TOO_LARGE: name's answer was larger than hello accepts\n"],
    ["malformed", 503, "NAME_UNAVAILABLE: no name task answered\n"],
    ["slow", 503, "NAME_UNAVAILABLE: no name task answered\n"],
    ["closes-mid-body", 503, "NAME_UNAVAILABLE: no name task answered\n"],
  ];
  for (const [m, status, body] of cases) {
    it(`${m}: 10 requests at once, each ${status} with a stable code, nothing internal in the body`, async () => {
      mode = m;
      const answers = await Promise.all(Array.from({ length: 10 }, () => httpGet(url, 20_000)));
      for (const a of answers) {
        assert.equal(a.status, status);
        assert.equal(a.body, body);
        assert.doesNotMatch(a.body, new RegExp(`127\\.0\\.0\\.1|${name.port}|Error|ECONN|undici`));
      }
      assert.ok(hello.running, "hello is still up");
    });
  }

  it("hello's peak memory stayed bounded through all of it", async () => {
    mode = "huge-chunked";
    await Promise.all(Array.from({ length: 20 }, () => httpGet(url, 20_000)));
    const peak = peakRss(hello.pid as number);
    console.log(`      hello's peak RSS (VmHWM): ${(peak / MB).toFixed(1)} MiB`);
    assert.ok(peak < PEAK_RSS_LIMIT, `peak RSS ${(peak / MB).toFixed(1)} MiB`);
    assert.equal((await httpGet(`${url}health`)).status, 200);
  });
});
