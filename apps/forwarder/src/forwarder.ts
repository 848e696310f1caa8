// One forwarded service: a TCP listener whose connections are spliced to an instance of the service.
// Bytes pass through untouched (TLS stays end to end). A refused or timed-out connect is tried again
// on another instance before the client notices; the target set ejects instances that keep failing.
import net from "node:net";
import type { Logger, TargetLease, TargetSet, TargetSetMetrics } from "../../hello/src/discovery/connections";

export interface ServiceForwarderOptions {
  /** The service's DNS name, for logs and metrics. */
  name: string;
  targets: TargetSet;
  listenHost: string;
  /** 0 = any free port (tests). */
  listenPort: number;
  /** Per try, until the instance accepted the connection. */
  connectTimeoutMs: number;
  /** Instances tried per connection, each a different one. */
  maxTries: number;
  /** Open client connections at most; further ones are closed at once (counted as `dropped`). */
  maxConnections: number;
  /** Close a connection with no bytes either way for this long; 0 = never. */
  idleTimeoutMs: number;
  log: Logger;
}

export interface ForwarderMetrics {
  name: string;
  listen: string;
  /** Client connections accepted. */
  accepted: number;
  /** Client connections open now. */
  active: number;
  /** Client connections spliced to an instance. */
  connected: number;
  /** Client connections closed because no instance accepted within maxTries. */
  failed: number;
  /** Connect tries after a connection's first. */
  retries: number;
  /** Client connections closed at once because maxConnections were open. */
  dropped: number;
  bytesToTargets: number;
  bytesFromTargets: number;
  discovery: TargetSetMetrics;
}

/** At most one warning per interval for failed connections, with the count held back. */
const FAILURE_LOG_INTERVAL_MS = 1000;

function errorReason(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? err.message;
}

export class ServiceForwarder {
  private readonly server: net.Server;
  /** Open sockets: clients' and the ones to instances (a drain that runs out of time cuts both). */
  private readonly clients = new Set<net.Socket>();
  private readonly upstreams = new Set<net.Socket>();
  private readonly counts = {
    accepted: 0,
    connected: 0,
    failed: 0,
    retries: 0,
    dropped: 0,
    bytesToTargets: 0,
    bytesFromTargets: 0,
  };
  private lastFailureLog = 0;
  private failuresHeldBack = 0;
  private boundPort = 0;

  constructor(private readonly o: ServiceForwarderOptions) {
    // The client is read from the start: its first bytes (a TLS ClientHello) wait in its stream's
    // buffer, at most one high-water mark per connection, until pipe() hands them to the instance.
    // Pausing it until then (pauseOnConnect) cost a read-start and an event-loop turn per connection:
    // in `npm run bench:forwarder` (same run, 3 runs) 15-18 % more forwarder CPU per connection.
    // allowHalfOpen: a client's FIN is passed on, the answer still comes back.
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    this.server.maxConnections = o.maxConnections;
    this.server.on("drop", () => (this.counts.dropped += 1));
  }

  get port(): number {
    return this.boundPort;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host: this.o.listenHost, port: this.o.listenPort, exclusive: true }, () => {
        this.server.off("error", onError);
        this.boundPort = (this.server.address() as net.AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  /** Instances in the current record set. */
  get targets(): number {
    return this.o.targets.size;
  }

  /** Resolves once the service's first DNS lookup finished (or after waitMs). */
  ready(waitMs: number): Promise<void> {
    return this.o.targets.ready(waitMs);
  }

  /** Stops accepting; resolves once every open connection has ended (then DNS refreshes stop too). */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
    this.o.targets.close();
  }

  /** Cuts every open connection (the end of a drain that ran out of time). */
  destroyAll(): void {
    for (const s of [...this.clients, ...this.upstreams]) s.destroy();
  }

  metrics(): ForwarderMetrics {
    return {
      name: this.o.name,
      listen: `${this.o.listenHost}:${this.boundPort}`,
      ...this.counts,
      active: this.clients.size,
      discovery: this.o.targets.metrics(),
    };
  }

  private track(socket: net.Socket, set: Set<net.Socket>): void {
    set.add(socket);
    socket.once("close", () => set.delete(socket));
  }

  private accept(client: net.Socket): void {
    this.counts.accepted += 1;
    this.track(client, this.clients);
    if (this.o.idleTimeoutMs > 0) client.setTimeout(this.o.idleTimeoutMs, () => client.destroy());
    // Until spliced, a client error (it reset) only needs the socket gone; the try below sees it.
    client.on("error", () => client.destroy());
    this.connect(client, [], []);
  }

  /** One connect try; on failure the next one goes to an instance not tried yet. */
  private connect(client: net.Socket, tried: string[], reasons: string[]): void {
    if (client.destroyed) return;
    if (tried.length >= this.o.maxTries) return this.giveUp(client, reasons);
    const lease = this.o.targets.acquire(tried.length > 0 ? tried : undefined);
    if (!lease) {
      if (this.o.targets.size === 0) reasons.push("no instance registered in DNS");
      return this.giveUp(client, reasons);
    }
    if (tried.length > 0) this.counts.retries += 1;
    tried.push(lease.key);
    const { host, port } = lease.target;
    const upstream = net.connect({ host, port, allowHalfOpen: true, noDelay: true });
    this.track(upstream, this.upstreams);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      client.off("close", onClientGone);
      return true;
    };
    const fail = (reason: string): void => {
      if (!settle()) return;
      upstream.destroy();
      lease.failed(reason);
      reasons.push(`${lease.key}: ${reason}`);
      this.connect(client, tried, reasons);
    };
    const onClientGone = (): void => {
      // The client left while we were connecting: the instance did nothing wrong.
      if (!settle()) return;
      upstream.destroy();
      lease.release();
    };
    const timer = setTimeout(
      () => fail(`connect timeout after ${this.o.connectTimeoutMs} ms`),
      this.o.connectTimeoutMs,
    );
    client.once("close", onClientGone);
    upstream.once("error", (err) => fail(errorReason(err)));
    upstream.once("connect", () => {
      if (!settle()) return;
      upstream.removeAllListeners("error");
      lease.succeeded();
      this.splice(client, upstream, lease);
    });
  }

  /** Bytes both ways with backpressure (pipe pauses the faster side); either side's end or error ends both. */
  private splice(client: net.Socket, upstream: net.Socket, lease: TargetLease): void {
    this.counts.connected += 1;
    client.removeAllListeners("error");
    let closed = 0;
    const onClose = (): void => {
      closed += 1;
      if (closed < 2) return;
      this.counts.bytesToTargets += upstream.bytesWritten;
      this.counts.bytesFromTargets += upstream.bytesRead;
      lease.release();
    };
    // A reset on one side is passed on as a reset, so the other side does not mistake it for a clean end.
    client.on("error", () => upstream.resetAndDestroy());
    upstream.on("error", () => client.resetAndDestroy());
    client.once("close", () => {
      upstream.destroySoon();
      onClose();
    });
    upstream.once("close", () => {
      client.destroySoon();
      onClose();
    });
    if (this.o.idleTimeoutMs > 0) upstream.setTimeout(this.o.idleTimeoutMs, () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private giveUp(client: net.Socket, reasons: string[]): void {
    this.counts.failed += 1;
    client.resetAndDestroy();
    const now = Date.now();
    if (now - this.lastFailureLog < FAILURE_LOG_INTERVAL_MS) {
      this.failuresHeldBack += 1;
      return;
    }
    this.lastFailureLog = now;
    this.o.log(
      "no instance accepted the connection",
      { name: this.o.name, tries: reasons.length, reasons, failuresHeldBack: this.failuresHeldBack },
      "warn",
    );
    this.failuresHeldBack = 0;
  }
}
