// The client side of the Vault case: what VAULT_ADDR=https://<host>:<port> gives an app that knows
// nothing of Cloud Map or SRV. One new TLS connection per call (each one a new choice of instance),
// the certificate verified against the service's name and its CA. Used in process by the local
// topology's tests and, through vault-probe-main.ts, from inside a container of the container topology.
import https from "node:https";
import type { TLSSocket } from "node:tls";

export interface VaultEndpoint {
  host: string;
  port: number;
  /** The name the certificate must carry (SNI and verification), e.g. vault.internal. */
  servername: string;
  /** PEM of the CA (here: the self-signed certificate itself). */
  ca: string;
}

export interface VaultAnswer {
  status: number;
  /** The instance that answered (tls-backend.ts's INSTANCE_ID). */
  instance: string;
  fingerprint256: string;
  authorized: boolean;
}

/** GET /v1/sys/health on a new connection; rejects on any connection, TLS or parse failure. */
export function vaultHealth(endpoint: VaultEndpoint, timeoutMs = 5000): Promise<VaultAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: endpoint.host,
        port: endpoint.port,
        path: "/v1/sys/health",
        servername: endpoint.servername,
        ca: endpoint.ca,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const authorized = socket.authorized;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => {
          try {
            const { instance } = JSON.parse(body) as { instance: string };
            resolve({ status: res.statusCode ?? 0, instance, fingerprint256, authorized });
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

export interface ProbeResult {
  answers: VaultAnswer[];
  /** One message per failed call, in order. */
  failures: string[];
}

/** `count` calls one after another, each on a new connection; failures are collected, not thrown. */
export async function probeVault(endpoint: VaultEndpoint, count: number): Promise<ProbeResult> {
  const result: ProbeResult = { answers: [], failures: [] };
  for (let i = 0; i < count; i++) {
    try {
      result.answers.push(await vaultHealth(endpoint));
    } catch (err) {
      result.failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  return result;
}
