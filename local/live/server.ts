// The live page of the local topology on 127.0.0.1: static files from this folder, a stream of
// snapshots (Server-Sent Events), and the controls: the prompt's own commands (the page draws a
// control for each one the command table marks for it, from GET /api/commands) and the load switch.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { checkCommands, COMMANDS, pageControls, parseCommand, type CommandSpec } from "../cli/commands";
import { LiveFeed, type LiveFeedOptions } from "./feed";
import { LoadGenerator, parseLoadSettings } from "../load/generator";
import { SERVICE, type Topology } from "../topology/topology";

export interface LiveServerOptions extends Partial<Pick<LiveFeedOptions, "intervalMs" | "windowMs">> {
  topology: Topology;
  ttlSeconds: number;
  deregisterDelayMs: number;
  /** On 127.0.0.1; 0 = a free one. Default 0. */
  port?: number;
  /** The command table the page's controls and /api/command follow. Default: the prompt's, COMMANDS. */
  commands?: readonly CommandSpec[];
  /** Told the outcome of each command sent from the page (the prompt prints it). */
  onCommand?: (command: string, outcome: string) => void;
  /** Open streams at most. Default 32. */
  maxStreams?: number;
  /** A client must send a request's head within this, and the whole request within twice it. Default 10000. */
  headersTimeoutMs?: number;
}

export interface LiveServer {
  url: string;
  feed: LiveFeed;
  load: LoadGenerator;
  close(): Promise<void>;
}

const STATIC_DIR = __dirname;
const STATIC: Record<string, string> = {
  "/": "index.html",
  "/live.js": "live.js",
  "/live.css": "live.css",
};
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
// Nothing but this origin: the page works without a network and cannot load anything from outside.
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};
const MAX_BODY_BYTES = 4096;
/** "a, b and c". */
const listed = (words: readonly string[]) =>
  words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
/** About 100 snapshots of 50 tasks. */
const MAX_UNREAD_BYTES = 1 << 20;

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** A request the server refuses with `status` (400 unless said otherwise). */
class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  const tooLarge = () => new RequestError(`body larger than ${MAX_BODY_BYTES} bytes`, 413);
  if (Number(req.headers["content-length"]) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let body = "";
    let refused = false;
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      if (refused) return; // read and dropped, so the 413 reaches the client instead of a reset
      body += chunk;
      if (body.length > MAX_BODY_BYTES) {
        refused = true;
        body = "";
        reject(tooLarge());
      }
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(body));
      } catch {
        reject(new RequestError("body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/**
 * Who may talk to us: only the page's own origin. A Host check stops DNS rebinding; changes need
 * JSON (which a cross-site form cannot send without a preflight we never grant) and, when the
 * browser names an Origin, ours.
 */
export function checkRequest(
  req: Pick<http.IncomingMessage, "method" | "headers">,
  port: number,
): { status: number; error: string } | undefined {
  const own = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!own.includes(req.headers.host ?? ""))
    return { status: 403, error: `Host must be one of ${own.join(", ")}` };
  if (req.method === "GET" || req.method === "HEAD") return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined && !own.some((h) => origin === `http://${h}`))
    return { status: 403, error: `cross-origin request from ${origin} refused` };
  if (req.method === "POST" && !/^application\/json\b/.test(req.headers["content-type"] ?? "")) {
    return { status: 415, error: "send Content-Type: application/json" };
  }
  return undefined;
}

export async function startLiveServer(o: LiveServerOptions): Promise<LiveServer> {
  const { topology } = o;
  const maxStreams = o.maxStreams ?? 32;
  const commands = o.commands ?? COMMANDS;
  checkCommands(commands);
  const controls = pageControls(commands);
  const pageCommands = commands.filter((c) => c.page).map((c) => c.name);
  const pageUsage = commands
    .filter((c) => c.page)
    .map((c) => (c.takesId ? `${c.name} <id>` : c.name))
    .join(" | ");
  const files = new Map(
    Object.entries(STATIC).map(([route, file]) => [
      route,
      { body: fs.readFileSync(path.join(STATIC_DIR, file)), type: TYPES[path.extname(file)] },
    ]),
  );
  const load = new LoadGenerator(topology.helloUrl);
  const feed = new LiveFeed(topology, load, {
    intervalMs: o.intervalMs,
    windowMs: o.windowMs,
    ttlSeconds: o.ttlSeconds,
    deregisterDelayMs: o.deregisterDelayMs,
  });
  const streams = new Set<http.ServerResponse>();
  let port = 0;

  function stream(res: http.ServerResponse): void {
    if (streams.size >= maxStreams) {
      send(
        res,
        503,
        { error: `${maxStreams} streams are open already; close a tab` },
        { "Retry-After": "5" },
      );
      return;
    }
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      Connection: "keep-alive",
      ...SECURITY_HEADERS,
    });
    res.write("retry: 1000\n\n");
    const first = feed.current();
    if (first) res.write(`id: ${first.snapshot.seq}\ndata: ${first.json}\n\n`);
    streams.add(res);
    const unsubscribe = feed.subscribe((json, snapshot) => {
      // A page that stopped reading (a frozen tab) is let go rather than buffered without end;
      // EventSource reconnects once it reads again.
      if (res.writableLength > MAX_UNREAD_BYTES) res.destroy();
      else res.write(`id: ${snapshot.seq}\ndata: ${json}\n\n`);
    });
    res.on("close", () => {
      unsubscribe();
      streams.delete(res);
    });
  }

  async function command(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readJson(req);
    const line =
      typeof body === "object" && body !== null ? (body as { command?: unknown }).command : undefined;
    if (typeof line !== "string") return send(res, 400, { error: `expected {"command": "<${pageUsage}>"}` });
    const cmd = parseCommand(line, SERVICE, commands);
    if (cmd.kind === "error") return send(res, 400, { error: cmd.message });
    // An empty line, or one of the prompt's own (list, quit): not the page's to send.
    if (cmd.kind === "none" || cmd.spec.page === undefined)
      return send(res, 400, {
        error: `"${line.trim()}" is a prompt command; the page can send ${listed(pageCommands)}`,
      });
    try {
      const context = { topology, deregisterDelayMs: o.deregisterDelayMs, commands };
      const message = (await cmd.spec.run(context, cmd.id)) ?? `${line.trim()}: done`;
      o.onCommand?.(line.trim(), message);
      send(res, 200, { message });
    } catch (err) {
      const message = (err as Error).message;
      o.onCommand?.(line.trim(), `error: ${message}`);
      send(res, 409, { error: message });
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const refused = checkRequest(req, port);
    if (refused) return send(res, refused.status, { error: refused.error });
    const url = (req.url ?? "/").split("?")[0];
    const file = files.get(url);
    if (file) {
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(res, 405, { error: "GET only" }, { Allow: "GET, HEAD" });
      res.writeHead(200, { "Content-Type": file.type, "Cache-Control": "no-cache", ...SECURITY_HEADERS });
      res.end(req.method === "HEAD" ? undefined : file.body);
      return;
    }
    const allowed: Record<string, string[]> = {
      "/events": ["GET"],
      "/api/snapshot": ["GET"],
      "/api/commands": ["GET"],
      "/api/command": ["POST"],
      "/api/load": ["POST", "DELETE"],
    };
    if (!allowed[url]) return send(res, 404, { error: `no ${url}; see / for the page` });
    if (!allowed[url].includes(req.method ?? ""))
      return send(
        res,
        405,
        { error: `${url} takes ${allowed[url].join(" or ")}` },
        { Allow: allowed[url].join(", ") },
      );
    if (url === "/events") return stream(res);
    if (url === "/api/snapshot") return send(res, 200, feed.current()?.snapshot ?? null);
    if (url === "/api/commands") return send(res, 200, controls);
    if (url === "/api/command") return command(req, res);
    if (req.method === "DELETE") return send(res, 200, load.stop());
    const parsed = parseLoadSettings(await readJson(req));
    if (!parsed.ok) return send(res, 400, { error: parsed.error });
    send(res, 200, load.start(parsed.settings));
  }

  const headersTimeoutMs = o.headersTimeoutMs ?? 10_000;
  // Slow clients are cut near their bound (Node checks every connectionsCheckingInterval, 30 s by default).
  const server = http.createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: 2 * headersTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      route(req, res).catch((err: Error) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        // A refused body may still be arriving: answer, then close rather than read the rest.
        const status = err instanceof RequestError ? err.status : 400;
        send(res, status, { error: err.message }, status === 413 ? { Connection: "close" } : {});
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  await feed.start();

  return {
    url: `http://127.0.0.1:${port}/`,
    feed,
    load,
    async close() {
      feed.stop();
      load.close();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
