// The Consul -> Cloud Map direction, locally: a service that consul-aws imported from Consul (a
// Vault cluster), registered in the Cloud Map stand-in exactly as consul-aws registers it, served
// by real processes speaking TLS, and the forwarder in front of it on 127.0.0.1, as a task runs it.
//
// What consul-aws does (its catalog/aws.go and service.go): CreateService with
// `DnsRecords: [{Type: SRV}]` only, so the service name has no A record; RegisterInstance with
// InstanceId `<Cloud Map service id>_<ip>_<port>` and the attributes AWS_INSTANCE_IPV4 and
// AWS_INSTANCE_PORT, from which Cloud Map makes the SRV record `1 1 <port> <instance id>.<service>.<namespace>`
// and an A record for that target name.
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AppProcess } from "./app-process";
import { DnsServer } from "../cloudmap/dns-server";
import { assertBindable, freePort, getJson, waitUntil } from "../net-util";

/** consul-aws's instance id for a Consul service instance (its `id(serviceID, host, port)`). */
export function consulAwsInstanceId(cloudMapServiceId: string, ip: string, port: number): string {
  return `${cloudMapServiceId}_${ip}_${port}`;
}

export interface Certificate {
  certFile: string;
  keyFile: string;
  pem: string;
  /** SHA-256 fingerprint as Node reports it (AA:BB:...), what a client sees in getPeerCertificate(). */
  fingerprint256: string;
}

/** A self-signed P-256 certificate for `dnsName`, made with the openssl CLI into `dir`. */
export async function selfSignedCertificate(dir: string, dnsName: string): Promise<Certificate> {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${dnsName}`,
    "-addext",
    `subjectAltName=DNS:${dnsName}`,
    "-keyout",
    keyFile,
    "-out",
    certFile,
  ]);
  const pem = fs.readFileSync(certFile, "utf8");
  return { certFile, keyFile, pem, fingerprint256: new X509Certificate(pem).fingerprint256 };
}

export interface ImportedServiceOptions {
  /** The Consul service's name, as it appears in Cloud Map. Default "vault". */
  service?: string;
  /** Cloud Map namespace. Default "internal". */
  namespace?: string;
  /** Instances started. Default 3. */
  instances?: number;
  /** Record TTL (consul-aws's -aws-dns-ttl; 60 by default there). Default 5 s. */
  ttlSeconds?: number;
  /** Extra forwarder environment (its tuning variables). */
  forwarderEnv?: Record<string, string>;
  verbose?: boolean;
  /** Bound on each process's start. Default 15000 ms. */
  startTimeoutMs?: number;
}

export interface ImportedInstance {
  /** consul-aws's instance id, `<service id>_<ip>_<port>`. */
  id: string;
  ip: string;
  port: number;
  running: boolean;
  registered: boolean;
}

export interface ImportedService {
  /** `<service>.<namespace>`, the name the forwarder resolves (SRV). */
  serviceName: string;
  /** The Cloud Map service id consul-aws would have got from CreateService. */
  cloudMapServiceId: string;
  dns: DnsServer;
  certificate: Certificate;
  /** Where the task's app connects: 127.0.0.1:<port>. */
  forwarder: { host: string; port: number; adminUrl: string; process: AppProcess };
  instances(): ImportedInstance[];
  /** SIGKILL: the instance is gone, DNS still lists it (consul-aws notices only at its next poll). */
  killInstance(id: string): Promise<void>;
  /** Kills everything it started and stops DNS. Safe to call twice. */
  stop(): Promise<void>;
}

/** Instances live on 127.0.1.x, clear of the hello topology's 127.0.0.x tasks. */
const INSTANCE_NET = "127.0.1.";
const LOCAL_DIR = __dirname;
const APPS_DIR = path.resolve(LOCAL_DIR, "..", "..", "apps");

export async function startImportedService(options: ImportedServiceOptions = {}): Promise<ImportedService> {
  const service = options.service ?? "vault";
  const namespace = options.namespace ?? "internal";
  const count = options.instances ?? 3;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  if (!Number.isInteger(count) || count < 1 || count > 254)
    throw new Error(`instances must be an integer from 1 to 254, got ${count}`);
  const serviceName = `${service}.${namespace}`;
  // Cloud Map service ids are "srv-" and 16 more characters.
  const cloudMapServiceId = `srv-${Math.random().toString(36).slice(2, 10).padEnd(8, "0")}imported`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "consul-import-"));
  const dns = new DnsServer({
    namespace,
    ttlSeconds: options.ttlSeconds ?? 5,
    services: [service],
    srvOnlyServices: [service],
    host: "127.0.0.1",
  });
  const running: { id: string; ip: string; port: number; process: AppProcess }[] = [];
  let forwarder: AppProcess | undefined;

  async function stop(): Promise<void> {
    await Promise.all([...running.map((r) => r.process.kill()), forwarder?.kill()]);
    await dns.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  try {
    const certificate = await selfSignedCertificate(dir, serviceName);
    await dns.start();
    const port = await freePort("127.0.0.1");
    await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        const ip = `${INSTANCE_NET}${k + 1}`;
        await assertBindable(ip);
        const id = consulAwsInstanceId(cloudMapServiceId, ip, port);
        const proc = new AppProcess({
          label: id,
          script: path.join(LOCAL_DIR, "tls-backend.ts"),
          nodeArgs: ["-r", "ts-node/register/transpile-only"],
          env: {
            HOST: ip,
            PORT: String(port),
            INSTANCE_ID: id,
            CERT_FILE: certificate.certFile,
            KEY_FILE: certificate.keyFile,
          },
          startTimeoutMs,
          verbose: options.verbose,
        });
        running.push({ id, ip, port, process: proc });
        await proc.listening;
        dns.register({ id, service, ip, port, healthy: true });
      }),
    );

    const forwardPort = await freePort("127.0.0.1");
    const adminPort = await freePort("127.0.0.1");
    forwarder = new AppProcess({
      label: "forwarder",
      script: path.join(APPS_DIR, "forwarder", "dist", "server.js"),
      env: {
        ...options.forwarderEnv,
        FORWARDS: `${serviceName}=${forwardPort}`,
        ADMIN_PORT: String(adminPort),
        DNS_SERVER: `127.0.0.1:${dns.port}`,
      },
      startTimeoutMs,
      verbose: options.verbose,
    });
    await forwarder.listening;
    const adminUrl = `http://127.0.0.1:${adminPort}/`;
    const healthy = await waitUntil(
      async () =>
        (await getJson<{ status: string }>(`${adminUrl}health`).catch(() => undefined))?.status === "ok",
      startTimeoutMs,
      100,
    );
    if (!healthy)
      throw new Error(`forwarder not healthy. Last output:\n${forwarder.recentLines().join("\n")}`);
    const forwarderProcess = forwarder;

    return {
      serviceName,
      cloudMapServiceId,
      dns,
      certificate,
      forwarder: { host: "127.0.0.1", port: forwardPort, adminUrl, process: forwarderProcess },
      instances: () =>
        running.map((r) => ({
          id: r.id,
          ip: r.ip,
          port: r.port,
          running: r.process.running,
          registered: dns.instances().some((i) => i.id === r.id),
        })),
      async killInstance(id) {
        const r = running.find((i) => i.id === id);
        if (!r) throw new Error(`no instance ${id}; instances: ${running.map((i) => i.id).join(", ")}`);
        await r.process.kill();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
