// One try against one target, bounded by a connect timeout and a response timeout.
import http from "node:http";

export interface TryRequest {
  host: string;
  port: number;
  agent: http.Agent;
  method: string;
  path: string;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

export interface TryResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** "connect": the request never reached the target, so even a non-idempotent one may go elsewhere. */
export type TryPhase = "connect" | "response";

export type TryResult = { ok: true; response: TryResponse } | { ok: false; phase: TryPhase; reason: string; response?: TryResponse };

export function tryOnce(r: TryRequest): Promise<TryResult> {
  return new Promise((resolve) => {
    let phase: TryPhase = "connect";
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (result: TryResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const fail = (reason: string): void => {
      finish({ ok: false, phase, reason });
      req.destroy();
    };
    const awaitResponse = (): void => {
      phase = "response";
      clearTimeout(timer);
      timer = setTimeout(() => fail(`no response within ${r.responseTimeoutMs} ms`), r.responseTimeoutMs);
    };
    const req = http.request({ host: r.host, port: r.port, method: r.method, path: r.path, headers: r.headers, agent: r.agent });
    // Waiting for a pooled socket counts as connecting: the request has not left yet.
    timer = setTimeout(() => fail(`connect timeout after ${r.connectTimeoutMs} ms`), r.connectTimeoutMs);
    req.on("socket", (socket) => {
      if (socket.connecting) socket.once("connect", awaitResponse);
      else awaitResponse(); // a pooled keep-alive connection
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const response = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
        if (response.status >= 500) finish({ ok: false, phase: "response", reason: `HTTP ${response.status}`, response });
        else finish({ ok: true, response });
      });
      res.on("error", (err) => fail(err.message));
      res.on("aborted", () => fail("response aborted"));
    });
    req.on("error", (err) => fail(`${(err as NodeJS.ErrnoException).code ?? "error"}: ${err.message}`));
    req.end(r.body);
  });
}
