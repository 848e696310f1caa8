// The bench's baselines: the practical limit of one Node process calling name, with nothing hello
// adds — no DNS, no retries, no timeouts, no ejection, no metrics. Round robin over a fixed task
// list through keep-alive pools, written the ordinary way for each library:
//   BARE_KIND=undici  an undici Pool per task, Pool.request() and body.text()
//   BARE_KIND=http    a keep-alive http.Agent per task, http.get() and the body collected
// BARE_TARGETS=ip:port,ip:port,…  PORT=0 (a free one). Logs {"msg":"listening",…} like the apps.
import exit from "exit-x";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";

type Fetch = (target: number) => Promise<{ status: number; text: string }>;

function undiciFetch(targets: string[]): Fetch {
  const pools = targets.map((t) => new Pool(`http://${t}`, { connections: 256, pipelining: 1 }));
  return async (i) => {
    const { statusCode, body } = await pools[i].request({ path: "/", method: "GET" });
    return { status: statusCode, text: await body.text() };
  };
}

function httpFetch(targets: string[]): Fetch {
  const upstreams = targets.map((t) => {
    const [host, port] = [t.slice(0, t.lastIndexOf(":")), Number(t.slice(t.lastIndexOf(":") + 1))];
    return {
      host,
      port,
      agent: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256, scheduling: "lifo" }),
    };
  });
  return (i) =>
    new Promise((resolve, reject) => {
      const u = upstreams[i];
      http
        .get({ host: u.host, port: u.port, path: "/", agent: u.agent }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          res.on("error", reject);
        })
        .on("error", reject);
    });
}

function main(): void {
  const kind = process.env.BARE_KIND;
  const targets = (process.env.BARE_TARGETS ?? "").split(",").filter((t) => t !== "");
  if ((kind !== "undici" && kind !== "http") || targets.length === 0) {
    process.stderr.write("bare-proxy: BARE_KIND must be undici or http, BARE_TARGETS a list of ip:port\n");
    return exit(2);
  }
  const fetchName = kind === "undici" ? undiciFetch(targets) : httpFetch(targets);
  let next = 0;
  const server = http.createServer((req, res) => {
    if (req.url === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    const target = next;
    next = (next + 1) % targets.length;
    fetchName(target).then(
      ({ status, text }) => {
        if (status !== 200) res.writeHead(502).end();
        else
          res
            .writeHead(200, { "Content-Type": "text/plain; charset=utf-8" })
            .end(`Hello (from bare) ${text.trim()}`);
      },
      () => res.writeHead(502).end(),
    );
  });
  server.keepAliveTimeout = 65_000;
  // A normal exit writes the --cpu-prof profile when the bench profiles the baselines too.
  process.on("SIGTERM", () => exit(0));
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const { address, port } = server.address() as AddressInfo;
    process.stdout.write(JSON.stringify({ msg: "listening", app: `bare-${kind}`, address, port }) + "\n");
  });
}

main();
