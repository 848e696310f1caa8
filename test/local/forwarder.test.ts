// The Consul -> Cloud Map direction end to end, with real processes: a Vault-like TLS service that
// consul-aws imported (SRV record only, its instance naming), the forwarder built from apps/forwarder,
// and a client that knows only https://127.0.0.1:<port> and resolves host names to A records.
import assert from "node:assert/strict";
import dns from "node:dns";
import { createTargetSet } from "../../apps/hello/src/discovery";
import {
  consulAwsInstanceId,
  startImportedService,
  type ImportedService,
} from "../../local/topology/consul-import";
import { getJson } from "../../local/net-util";
import { vaultHealth as vaultHealthAt, type VaultAnswer } from "../../local/topology/vault-client";

/** What VAULT_ADDR=https://127.0.0.1:<port> gives a client: TLS verified against the service's name. */
function vaultHealth(topology: ImportedService): Promise<VaultAnswer> {
  return vaultHealthAt({
    host: topology.forwarder.host,
    port: topology.forwarder.port,
    servername: topology.serviceName,
    ca: topology.certificate.pem,
  });
}

interface ForwarderMetrics {
  forwards: Array<{
    accepted: number;
    connected: number;
    failed: number;
    retries: number;
    discovery: { targets: Record<string, { ejected: boolean; failures: number }> };
  }>;
}

describe("local topology: a Consul service reached through the forwarder (real processes, TLS)", function () {
  this.timeout(60_000);
  let topology: ImportedService | undefined;
  afterEach(async () => {
    await topology?.stop();
    topology = undefined;
  });

  it("registers the service as consul-aws does: SRV only, instances <service id>_<ip>_<port>", async () => {
    topology = await startImportedService({ instances: 2 });
    const { dns: cloudMap, serviceName, cloudMapServiceId } = topology;
    const ids = topology.instances().map((i) => i.id);
    assert.deepEqual(
      ids.sort(),
      topology
        .instances()
        .map((i) => consulAwsInstanceId(cloudMapServiceId, i.ip, i.port))
        .sort(),
    );
    assert.match(ids[0], /^srv-[a-z0-9]+_127\.0\.1\.\d+_\d+$/);
    // A host-name client asks for A records: the service name has none.
    const resolver = new dns.promises.Resolver();
    resolver.setServers([`127.0.0.1:${cloudMap.port}`]);
    await assert.rejects(
      resolver.resolve4(serviceName),
      (err: NodeJS.ErrnoException) => err.code === "ENODATA",
    );
    const srv = await resolver.resolveSrv(serviceName);
    assert.deepEqual(
      srv.map((r) => r.name).sort(),
      ids.map((id) => `${id}.${serviceName}`.toLowerCase()).sort(),
      "SRV targets are <instance id>.<service>.<namespace>",
    );
    // The SRV target names (underscores and dots of the IP included) resolve, as Cloud Map's A records do.
    assert.deepEqual(await resolver.resolve4(srv[0].name), [
      topology.instances().find((i) => srv[0].name.startsWith(i.id.toLowerCase()))?.ip,
    ]);
  });

  it("a client that knows only 127.0.0.1:<port> reaches every instance; the TLS handshake is the instance's own", async () => {
    topology = await startImportedService({ instances: 3 });
    const seen = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const answer = await vaultHealth(topology);
      assert.equal(answer.status, 200);
      assert.equal(answer.authorized, true, "the certificate verified against the service name and the CA");
      assert.equal(
        answer.fingerprint256,
        topology.certificate.fingerprint256,
        "the backend's certificate, untouched",
      );
      seen.set(answer.instance, (seen.get(answer.instance) ?? 0) + 1);
    }
    assert.deepEqual(
      [...seen.keys()].sort(),
      topology
        .instances()
        .map((i) => i.id)
        .sort(),
    );
    for (const n of seen.values()) assert.equal(n, 4, JSON.stringify([...seen]));
  });

  it("an instance killed (still in DNS): new connections go to the others, none fails, the dead one is ejected", async () => {
    topology = await startImportedService({ instances: 3 });
    for (let i = 0; i < 3; i++) await vaultHealth(topology);
    const victim = topology.instances()[1];
    await topology.killInstance(victim.id);
    assert.equal(
      topology.instances().find((i) => i.id === victim.id)?.registered,
      true,
      "DNS still lists it",
    );

    const instances = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const answer = await vaultHealth(topology); // rejects on any failed connection
      assert.equal(answer.status, 200);
      instances.add(answer.instance);
    }
    assert.equal(instances.has(victim.id), false);
    assert.equal(instances.size, 2);

    const m = await getJson<ForwarderMetrics>(`${topology.forwarder.adminUrl}metrics`);
    const f = m.forwards[0];
    assert.equal(f.failed, 0, "no client connection failed");
    assert.equal(f.connected, 33);
    const dead = f.discovery.targets[`${victim.ip}:${victim.port}`];
    assert.equal(dead.ejected, true);
    // Each refused connect was retried on another instance; ejected after 3 refusals in a row (the
    // default), it is tried again only after its ejection (2 s less jitter) and ejected at once again.
    assert.equal(f.retries, dead.failures);
    assert.ok(dead.failures >= 3 && dead.failures <= 5, `failures ${dead.failures}`);
  });

  it("the discovery library resolves the imported service the same way (SRV, the consul-aws target names)", async () => {
    topology = await startImportedService({ instances: 2 });
    const set = createTargetSet({
      name: topology.serviceName,
      dnsServers: [{ host: "127.0.0.1", port: topology.dns.port }],
      log: () => undefined,
    });
    await set.ready(3000);
    assert.deepEqual(
      Object.keys(set.metrics().targets).sort(),
      topology
        .instances()
        .map((i) => `${i.ip}:${i.port}`)
        .sort(),
    );
    set.close();
  });
});
