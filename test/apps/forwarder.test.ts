// The forwarder's parts in-process: its configuration, the discovery library's target set it is
// built on, and one ServiceForwarder against the local Cloud Map stand-in (an SRV-only service
// registered the way consul-aws registers it) and real TCP servers on 127.0.0.2+; then the built
// process itself (its configuration errors and its drain).
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { createTargetSet, InvalidOptionError, type TargetSet } from "../../apps/hello/src/discovery";
import { parseForwarderConfig, parseForwards } from "../../apps/forwarder/src/config";
import { ServiceForwarder, type ServiceForwarderOptions } from "../../apps/forwarder/src/forwarder";
import { DnsServer } from "../../local/cloudmap/dns-server";
import { AppProcess } from "../../local/topology/app-process";
import { consulAwsInstanceId } from "../../local/topology/consul-import";
import { freePort, waitUntil } from "../../local/net-util";
import { APPS_DIR } from "./support/app-process";

const quiet = (): void => {};
const SERVICE_ID = "srv-fwdtest0000000001";

describe("forwarder: configuration", () => {
  it("reads FORWARDS pairs and applies the defaults", () => {
    const r = parseForwarderConfig({ FORWARDS: "vault.internal=8200, Consul.Internal=8500" });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.forwards, [
      { name: "vault.internal", port: 8200 },
      { name: "consul.internal", port: 8500 },
    ]);
    assert.equal(r.config.listenHost, "127.0.0.1");
    assert.equal(r.config.adminPort, 9901);
    assert.equal(r.config.discovery.maxTries, 3);
    assert.equal(r.config.discovery.connectTimeoutMs, 1000);
  });

  for (const bad of [
    "vault.internal",
    "vault.internal=0",
    "vault.internal=65536",
    "vault=8200",
    "vault.internal=8200,consul.internal=8200",
    "vault.internal=8200,VAULT.internal=8201",
    "-vault.internal=8200",
    "vault internal=8200",
    Array.from({ length: 33 }, (_, i) => `s${i}.internal=${1000 + i}`).join(","),
  ]) {
    it(`refuses FORWARDS=${JSON.stringify(bad.slice(0, 40))}`, () => {
      assert.equal(parseForwards(bad), undefined);
      const r = parseForwarderConfig({ FORWARDS: bad });
      assert.ok(!r.ok);
      assert.match(
        r.errors[0],
        /^FORWARDS=".*" is invalid: expected comma-separated "<service DNS name>=<local port>"/,
      );
    });
  }

  it("reports every bad variable at once, naming it and what is allowed", () => {
    const r = parseForwarderConfig({
      LISTEN_HOST: "localhost",
      ADMIN_PORT: "8200",
      FORWARDS: "vault.internal=8200",
      MAX_TRIES: "0",
      MAX_CONNECTIONS: "lots",
      DNS_SERVER: "resolver",
      DISCOVERY_TTL_MIN_SECONDS: "30",
      DISCOVERY_TTL_MAX_SECONDS: "10",
    });
    assert.ok(!r.ok);
    assert.deepEqual(r.errors, [
      'LISTEN_HOST="localhost" is invalid: expected an IP address (127.0.0.1: only the task\'s own containers can connect)',
      "ADMIN_PORT (8200) is invalid: expected a port that FORWARDS does not use",
      'DNS_SERVER="resolver" is invalid: expected an IP address, "ip:port" or "[ipv6]:port"',
      'MAX_TRIES="0" is invalid: expected an integer from 1 to 10',
      "DISCOVERY_TTL_MIN_SECONDS (30) is invalid: expected at most DISCOVERY_TTL_MAX_SECONDS (10)",
      'MAX_CONNECTIONS="lots" is invalid: expected an integer from 1 to 65535',
    ]);
    const missing = parseForwarderConfig({});
    assert.ok(!missing.ok);
    assert.match(missing.errors[0], /^FORWARDS is required: expected comma-separated/);
  });
});

/** The stand-in Cloud Map with `vault` as consul-aws creates it: SRV only, instances `<service id>_<ip>_<port>`. */
async function cloudMap(): Promise<DnsServer> {
  const dns = new DnsServer({
    namespace: "internal",
    ttlSeconds: 1,
    services: ["vault"],
    srvOnlyServices: ["vault"],
    host: "127.0.0.1",
  });
  await dns.start();
  return dns;
}

function register(dns: DnsServer, ip: string, port: number): void {
  dns.register({ id: consulAwsInstanceId(SERVICE_ID, ip, port), service: "vault", ip, port, healthy: true });
}

interface Backend {
  ip: string;
  port: number;
  server: net.Server;
  close(): Promise<void>;
}

/** A TCP server that greets with its address, then echoes. */
async function echoBackend(ip: string, port = 0): Promise<Backend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.write(`${ip}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(port, ip, resolve));
  return {
    ip,
    port: (server.address() as net.AddressInfo).port,
    server,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects, reads the greeting line, sends `text`, half-closes and collects the rest. */
async function exchange(port: number, text: string): Promise<{ greeting: string; echoed: string }> {
  const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  await once(socket, "connect");
  socket.end(text);
  await once(socket, "close");
  const nl = data.indexOf("\n");
  if (nl < 0) throw new Error(`no greeting: ${JSON.stringify(data)}`);
  return { greeting: data.slice(0, nl), echoed: data.slice(nl + 1) };
}

describe("discovery library: createTargetSet", () => {
  let dns: DnsServer;
  let set: TargetSet | undefined;
  beforeEach(async () => (dns = await cloudMap()));
  afterEach(async () => {
    set?.close();
    set = undefined;
    await dns.stop();
  });

  it("checks its options and names the bad one", () => {
    const base = { dnsServers: [{ host: "127.0.0.1", port: 53 }], log: quiet };
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: "vault internal" }, /^invalid option name: expected a DNS name/],
      [
        { name: "vault.internal", recordType: "MX" },
        /^invalid option recordType: expected one of A, AAAA, SRV/,
      ],
      [
        { name: "vault.internal", recordType: "A" },
        /^invalid option port: expected an integer from 1 to 65535 \(required/,
      ],
      [{ name: "10.0.0.1" }, /^invalid option port/],
      [
        { name: "vault.internal", ttlMinSeconds: 0 },
        /^invalid option ttlMinSeconds: expected an integer from 1 to 3600/,
      ],
      [{ name: "vault.internal", ejection: { baseMs: 0 } }, /^invalid option ejection.baseMs/],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => createTargetSet({ ...base, ...options } as unknown as Parameters<typeof createTargetSet>[0]),
        (err: unknown) => err instanceof InvalidOptionError && message.test(err.message),
        JSON.stringify(options),
      );
    }
  });

  it("finds the instances of an SRV-only service whose A question has no answer", async () => {
    register(dns, "127.0.0.2", 8200);
    register(dns, "127.0.0.3", 8201);
    set = createTargetSet({
      name: "vault.internal",
      dnsServers: [{ host: "127.0.0.1", port: dns.port }],
      log: quiet,
    });
    await set.ready(2000);
    assert.deepEqual(Object.keys(set.metrics().targets).sort(), ["127.0.0.2:8200", "127.0.0.3:8201"]);
    // The same name asked for A (what a host-name client does) finds nothing.
    const aOnly = createTargetSet({
      name: "vault.internal",
      recordType: "A",
      port: 8200,
      dnsServers: [{ host: "127.0.0.1", port: dns.port }],
      log: quiet,
    });
    await aOnly.ready(2000);
    assert.equal(aOnly.size, 0);
    aOnly.close();
  });

  it("the forwarder's DISCOVERY_MAX_TARGETS reaches its target set (read through the library's table)", async () => {
    for (const ip of ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]) register(dns, ip, 8200);
    const sizeWith = async (env: Record<string, string>): Promise<number> => {
      const parsed = parseForwarderConfig({ FORWARDS: "vault.internal=8200", ...env });
      assert.ok(parsed.ok, JSON.stringify(parsed));
      const targets = createTargetSet({
        name: "vault.internal",
        ...parsed.config.discovery,
        dnsServers: [{ host: "127.0.0.1", port: dns.port }],
        log: quiet,
      });
      await targets.ready(2000);
      targets.close();
      return targets.size;
    };
    assert.equal(await sizeWith({}), 4);
    assert.equal(await sizeWith({ DISCOVERY_MAX_TARGETS: "2" }), 2);
  });

  it("leases round robin, skips excluded keys, ejects after consecutive failures and forgets them on success", async () => {
    for (const ip of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) register(dns, ip, 8200);
    set = createTargetSet({
      name: "vault.internal",
      dnsServers: [{ host: "127.0.0.1", port: dns.port }],
      ejection: { consecutiveFailures: 2, baseMs: 60_000, maxMs: 60_000 },
      log: quiet,
    });
    await set.ready(2000);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const lease = set.acquire();
      assert.ok(lease);
      seen.add(lease.key);
      lease.release();
    }
    assert.equal(seen.size, 3);
    const excluded = set.acquire(["127.0.0.2:8200", "127.0.0.3:8200"]);
    assert.equal(excluded?.key, "127.0.0.4:8200");
    excluded?.release();
    assert.equal(set.acquire(["127.0.0.2:8200", "127.0.0.3:8200", "127.0.0.4:8200"]), undefined);

    for (let i = 0; i < 2; i++) set.acquire(["127.0.0.3:8200", "127.0.0.4:8200"])?.failed("ECONNREFUSED");
    const m = set.metrics();
    assert.equal(m.targets["127.0.0.2:8200"].ejected, true);
    assert.equal(m.ejections, 1);
    assert.equal(m.failures, 2);
    for (let i = 0; i < 6; i++) {
      const lease = set.acquire();
      assert.notEqual(lease?.key, "127.0.0.2:8200", "an ejected instance gets no new connection");
      lease?.release();
    }
    // Last resort: when everything else was tried, the ejected one is still offered, and a success clears it.
    const last = set.acquire(["127.0.0.3:8200", "127.0.0.4:8200"]);
    assert.equal(last?.key, "127.0.0.2:8200");
    last?.succeeded();
    last?.release();
    assert.equal(set.metrics().targets["127.0.0.2:8200"].ejected, false);
    assert.equal(set.metrics().targets["127.0.0.2:8200"].outstanding, 0);
  });

  it("counts open leases as outstanding, so a busy instance is passed over", async () => {
    register(dns, "127.0.0.2", 8200);
    register(dns, "127.0.0.3", 8200);
    set = createTargetSet({
      name: "vault.internal",
      dnsServers: [{ host: "127.0.0.1", port: dns.port }],
      busySlack: 0,
      log: quiet,
    });
    await set.ready(2000);
    const held = set.acquire();
    assert.ok(held);
    held.succeeded(); // connected: stays outstanding until released
    for (let i = 0; i < 3; i++) {
      const lease = set.acquire();
      assert.notEqual(lease?.key, held.key);
      lease?.release();
    }
    held.release();
    held.release(); // a second end is ignored
    assert.equal(set.metrics().targets[held.key].outstanding, 0);
  });
});

describe("forwarder: one service", () => {
  let dns: DnsServer;
  let backends: Backend[] = [];
  let forwarder: ServiceForwarder | undefined;
  let targets: TargetSet | undefined;

  beforeEach(async () => (dns = await cloudMap()));
  afterEach(async () => {
    forwarder?.destroyAll();
    await forwarder?.close();
    forwarder = undefined;
    targets?.close();
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
    await dns.stop();
  });

  async function start(overrides: Partial<ServiceForwarderOptions> = {}): Promise<ServiceForwarder> {
    targets = createTargetSet({
      name: "vault.internal",
      dnsServers: [{ host: "127.0.0.1", port: dns.port }],
      ejection: { consecutiveFailures: 2, baseMs: 60_000, maxMs: 60_000 },
      log: quiet,
    });
    forwarder = new ServiceForwarder({
      name: "vault.internal",
      targets,
      listenHost: "127.0.0.1",
      listenPort: 0,
      connectTimeoutMs: 500,
      maxTries: 3,
      maxConnections: 64,
      idleTimeoutMs: 0,
      log: quiet,
      ...overrides,
    });
    await forwarder.listen();
    await forwarder.ready(2000);
    return forwarder;
  }

  it("splices bytes both ways, passes a half-close on and spreads connections over the instances", async () => {
    for (const ip of ["127.0.0.2", "127.0.0.3", "127.0.0.4"]) {
      const b = await echoBackend(ip);
      backends.push(b);
      register(dns, ip, b.port);
    }
    const f = await start();
    const greetings: string[] = [];
    for (let i = 0; i < 9; i++) {
      const { greeting, echoed } = await exchange(f.port, `hello ${i}`);
      assert.equal(echoed, `hello ${i}`, "the echo came back after the client's FIN");
      greetings.push(greeting);
    }
    for (const ip of ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
      assert.equal(greetings.filter((g) => g === ip).length, 3, greetings.join(","));
    await sleep(50);
    const m = f.metrics();
    assert.equal(m.accepted, 9);
    assert.equal(m.connected, 9);
    assert.equal(m.failed, 0);
    assert.equal(m.active, 0);
    assert.equal(
      m.bytesToTargets,
      [...Array(9).keys()].reduce((n, i) => n + `hello ${i}`.length, 0),
    );
  });

  it("retries a refused connect on another instance and ejects the dead one: no client connection fails", async () => {
    const live = await echoBackend("127.0.0.2");
    backends.push(live);
    register(dns, "127.0.0.2", live.port);
    const dead = await echoBackend("127.0.0.3");
    register(dns, "127.0.0.3", dead.port);
    await dead.close(); // still in DNS, nothing listening: connections are refused
    const f = await start();
    for (let i = 0; i < 10; i++) assert.equal((await exchange(f.port, "x")).greeting, "127.0.0.2");
    const m = f.metrics();
    assert.equal(m.failed, 0);
    assert.ok(m.retries >= 1 && m.retries <= 2, `retries ${m.retries}: at most until the ejection`);
    const deadKey = `127.0.0.3:${dead.port}`;
    assert.equal(m.discovery.targets[deadKey].ejected, true);
    assert.match(JSON.stringify(m.discovery.targets[deadKey]), /"failures":2/);
  });

  it("closes the client connection with a reset when no instance accepts", async () => {
    const dead = await echoBackend("127.0.0.2");
    register(dns, "127.0.0.2", dead.port);
    await dead.close();
    const f = await start();
    const socket = net.connect({ host: "127.0.0.1", port: f.port });
    const [err] = (await once(socket, "error")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNRESET");
    await sleep(20);
    assert.equal(f.metrics().failed, 1);
  });

  it("closes connections beyond maxConnections at once", async () => {
    const b = await echoBackend("127.0.0.2");
    backends.push(b);
    register(dns, "127.0.0.2", b.port);
    const f = await start({ maxConnections: 2 });
    const open = [
      net.connect({ host: "127.0.0.1", port: f.port }),
      net.connect({ host: "127.0.0.1", port: f.port }),
    ];
    await Promise.all(open.map((s) => once(s, "data")));
    const third = net.connect({ host: "127.0.0.1", port: f.port });
    third.on("error", () => undefined);
    await once(third, "close");
    assert.equal(f.metrics().dropped, 1);
    assert.equal(f.metrics().active, 2);
    for (const s of open) s.destroy();
  });

  it("holds back an instance that sends faster than the client reads (bounded buffers)", async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let written = 0;
    const flood = net.createServer((s) => {
      s.on("error", () => undefined);
      const pump = (): void => {
        while (written < 256 * 1024 * 1024) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once("drain", pump);
        }
      };
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, "127.0.0.2", resolve));
    backends.push({
      ip: "127.0.0.2",
      port: (flood.address() as net.AddressInfo).port,
      server: flood,
      close: () => new Promise((r) => flood.close(() => r())),
    });
    register(dns, "127.0.0.2", (flood.address() as net.AddressInfo).port);
    const f = await start();
    const client = net.connect({ host: "127.0.0.1", port: f.port });
    let received = 0;
    client.on("data", (d: Buffer) => {
      received += d.length;
      client.pause(); // then reads nothing more
    });
    await sleep(700);
    // Socket buffers on three hops (a few MB on loopback) and two stream buffers, not the 256 MB on offer.
    assert.ok(
      written < 32 * 1024 * 1024,
      `the instance wrote ${written} bytes while the client read ${received}`,
    );
    client.resume();
    const before = received;
    await sleep(200);
    assert.ok(received > before, "reading again lets the bytes flow");
    client.destroy();
  });

  it("on close stops accepting and lets an open connection finish", async () => {
    const b = await echoBackend("127.0.0.2");
    backends.push(b);
    register(dns, "127.0.0.2", b.port);
    const f = await start();
    const socket = net.connect({ host: "127.0.0.1", port: f.port, allowHalfOpen: true });
    socket.setEncoding("utf8");
    let data = "";
    socket.on("data", (d: string) => (data += d));
    await once(socket, "data");
    let closed = false;
    const closing = f.close().then(() => (closed = true));
    const refused = net.connect({ host: "127.0.0.1", port: f.port });
    const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
    await sleep(50);
    assert.equal(closed, false, "close() waits for the open connection");
    socket.end("still here");
    await closing;
    assert.equal(data, "127.0.0.2\nstill here");
  });
});

describe("forwarder: the process", function () {
  this.timeout(30_000);
  const script = path.join(APPS_DIR, "forwarder", "dist", "server.js");

  it("bad configuration: every problem on stderr, naming the variable and what is allowed; exit 2", async () => {
    const proc = new AppProcess({
      label: "forwarder",
      script,
      env: { FORWARDS: "vault=8200", MAX_TRIES: "11" },
    });
    assert.deepEqual(await proc.exited, { code: 2, signal: null });
    assert.match(proc.stderr(), /^FORWARDS="vault=8200" is invalid: expected comma-separated/m);
    assert.match(proc.stderr(), /^MAX_TRIES="11" is invalid: expected an integer from 1 to 10$/m);
  });

  it("SIGTERM: stops accepting, lets the open connection finish, exits 0", async () => {
    const dns = await cloudMap();
    const b = await echoBackend("127.0.0.2");
    register(dns, "127.0.0.2", b.port);
    const port = await freePort("127.0.0.1");
    const proc = new AppProcess({
      label: "forwarder",
      script,
      env: {
        FORWARDS: `vault.internal=${port}`,
        ADMIN_PORT: String(await freePort("127.0.0.1")),
        DNS_SERVER: `127.0.0.1:${dns.port}`,
      },
    });
    try {
      await proc.listening;
      const socket = net.connect({ host: "127.0.0.1", port, allowHalfOpen: true });
      socket.setEncoding("utf8");
      let data = "";
      socket.on("data", (d: string) => (data += d));
      await once(socket, "data");
      proc.signal("SIGTERM");
      await waitUntil(async () => proc.lines.some((l) => l.msg === "draining"), 5000, 20);
      const refused = net.connect({ host: "127.0.0.1", port });
      const [err] = (await once(refused, "error")) as [NodeJS.ErrnoException];
      assert.equal(err.code, "ECONNREFUSED");
      assert.equal(proc.running, true, "still draining the open connection");
      socket.end("bye");
      assert.deepEqual(await proc.exited, { code: 0, signal: null });
      assert.equal(data, "127.0.0.2\nbye");
      assert.ok(proc.lines.some((l) => l.msg === "drained"));
    } finally {
      await proc.kill();
      await b.close();
      await dns.stop();
    }
  });
});
