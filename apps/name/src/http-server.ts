// Each app is built from its own folder, so each carries this file; a test keeps the copies identical.
import http from "node:http";

export interface ServerTimeouts {
  /** A client must send a request's whole head within this (slow-header clients are cut). */
  headersTimeoutMs: number;
  /** ...and the whole request within this. */
  requestTimeoutMs: number;
}

/**
 * Idle keep-alive connections stay open 65 s, longer than a load balancer's 60 s idle timeout, so
 * the caller is the side that closes a socket it might be about to reuse.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * An HTTP server with a public service's limits: Node checks the header and request timeouts every
 * `connectionsCheckingInterval` (30 s by default, so a slow-header client could hold a socket for
 * 90 s); once a second holds each connection close to its bound.
 */
export function createAppServer(timeouts: ServerTimeouts, handler: http.RequestListener): http.Server {
  const server = http.createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
    handler,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  return server;
}
