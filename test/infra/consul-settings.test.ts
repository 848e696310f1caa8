/** consulMode: embedded / external / off, read by parseSettings and called directly. */
import * as assert from "assert";
import { cidrsOverlap } from "../../packages/ecs-cloudmap-consul/shared/arg-checks";
import { isUnderDomain } from "../../packages/ecs-cloudmap-consul/shared/naming";
import { CONSUL_IMAGE as IMAGE, errorsOf, EXTERNAL, k, ok, REGION as BASE } from "./settings-fixtures";

describe("infra settings: consulMode", () => {
  it("off by default: no sync, nothing to read", () => {
    assert.strictEqual(ok(BASE).consulSync, undefined);
    assert.strictEqual(ok({ ...BASE, [k("consulMode")]: "off" }).consulSync, undefined);
  });

  it("an unknown mode names the allowed values", () => {
    assert.deepStrictEqual(errorsOf({ ...BASE, [k("consulMode")]: "on" }), [
      `${k("consulMode")}: must be one of embedded, external, off, got "on"`,
    ]);
  });

  it("the retired consulSyncEnabled is an error naming consulMode and what each old value meant", () => {
    for (const value of ["true", "false"]) {
      const [error] = errorsOf({ ...BASE, "ecs-cloudmap-consul:consulSyncEnabled": value });
      assert.match(
        error,
        /^ecs-cloudmap-consul:consulSyncEnabled: consulSyncEnabled was replaced by consulMode/,
      );
      assert.match(error, /external \(what consulSyncEnabled: true meant\) or off \(false\)/);
    }
  });

  it("embedded: needs the Consul image by version tag or digest, and gives an example", () => {
    const [missing] = errorsOf({ ...BASE, [k("consulMode")]: "embedded" });
    assert.match(missing, /consulImage: is required when consulMode is embedded/);
    assert.match(missing, /e\.g\. public\.ecr\.aws\/hashicorp\/consul:1\.21\.5$/);
    for (const bad of [
      "public.ecr.aws/hashicorp/consul",
      "public.ecr.aws/hashicorp/consul:latest",
      "public.ecr.aws/hashicorp/consul@sha256:abc",
    ]) {
      assert.match(
        errorsOf({ ...BASE, [k("consulMode")]: "embedded", [k("consulImage")]: bad })[0],
        /consulImage: must be an image by version tag or digest/,
        bad,
      );
    }
    const s = ok({
      ...BASE,
      [k("consulMode")]: "embedded",
      [k("consulImage")]: IMAGE,
      [k("consulAllowedCidrs")]: "10.8.0.0/24, 192.168.1.0/24",
    });
    assert.deepStrictEqual(s.consulSync?.consul, {
      kind: "embedded",
      server: { image: IMAGE, logRetentionDays: 7, region: "us-east-1", enableExecuteCommand: false },
      allowedCidrs: ["10.8.0.0/24", "192.168.1.0/24"],
    });
    assert.deepStrictEqual(
      s.cluster.secretArns,
      [],
      "the embedded Consul's secrets are created by the stack, not configured",
    );
  });

  it("embedded: external-only keys are pointed out instead of silently ignored", () => {
    const errors = errorsOf({
      ...BASE,
      [k("consulMode")]: "embedded",
      [k("consulImage")]: IMAGE,
      [k("consulHttpAddr")]: "http://10.0.0.5:8500",
      [k("consulAllowedCidrs")]: "10.0.0.1/16",
    });
    assert.ok(
      errors.some((e) => e.startsWith(`${k("consulHttpAddr")}: is for consulMode external only`)),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) =>
        e.startsWith(`${k("consulAllowedCidrs")}: must be comma-separated IPv4 network CIDRs`),
      ),
      errors.join("\n"),
    );
  });

  it("external: route through a peering connection or a transit gateway (exactly one), DNS forwarded for the host's domain", () => {
    const s = ok(EXTERNAL);
    const consul = s.consulSync?.consul;
    assert.ok(consul?.kind === "external");
    assert.deepStrictEqual(consul.reach.route, { kind: "peering", id: "pcx-0123456789abcdef0" });
    assert.deepStrictEqual(consul.reach.dns, {
      kind: "forward",
      domain: "corp.example",
      servers: ["10.60.0.10", "10.60.1.10"],
    });
    assert.strictEqual(consul.host, "consul.corp.example");
    assert.strictEqual(consul.checkImage, undefined);

    const tgw = ok({
      ...EXTERNAL,
      [k("consulPeeringConnectionId")]: "",
      [k("consulTransitGatewayId")]: "tgw-0123456789abcdef0",
    }).consulSync?.consul;
    assert.deepStrictEqual(tgw?.kind === "external" && tgw.reach.route, {
      kind: "transitGateway",
      id: "tgw-0123456789abcdef0",
    });

    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulTransitGatewayId")]: "tgw-0123456789abcdef0" })[0],
      /consulTransitGatewayId: must be empty when consulPeeringConnectionId is set/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulPeeringConnectionId")]: "" })[0],
      /consulPeeringConnectionId: or consulTransitGatewayId is required/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulPeeringConnectionId")]: "vpc-123" })[0],
      /consulPeeringConnectionId: must be a VPC peering connection id pcx-<hex>/,
    );
  });

  it("external: DNS is a forwarding rule for a named host, or nothing for an IP address", () => {
    const ip = ok({
      ...EXTERNAL,
      [k("consulHttpAddr")]: "http://10.60.3.4:8500",
      [k("consulDnsDomain")]: "",
      [k("consulDnsServers")]: "",
    }).consulSync?.consul;
    assert.deepStrictEqual(ip?.kind === "external" && ip.reach.dns, { kind: "ip" });
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulDnsDomain")]: "" })[0],
      /consulDnsDomain: is required when consulHttpAddr names a host \(consul\.corp\.example\)/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulDnsDomain")]: "other.example" })[0],
      /consulDnsDomain: must contain the Consul host consul\.corp\.example/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulDnsServers")]: "" })[0],
      /consulDnsServers: is required with consulDnsDomain/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulDnsServers")]: "10.60.0.10,dns.corp" })[0],
      /consulDnsServers: must be IPv4 addresses, got "dns\.corp"/,
    );
    assert.match(
      errorsOf({ ...EXTERNAL, [k("consulHttpAddr")]: "http://10.60.3.4:8500" })[0],
      /consulDnsDomain: must be empty when consulHttpAddr holds an IP address/,
    );
  });

  it("external: a Consul host under the Cloud Map namespace's domain is refused, naming the shadowing", () => {
    const [error] = errorsOf({
      ...EXTERNAL,
      [k("consulHttpAddr")]: "http://consul.dev.example.internal:8500",
      [k("consulDnsDomain")]: "example.internal",
    });
    assert.match(
      error,
      /^ecs-cloudmap-consul:consulHttpAddr: host consul\.dev\.example\.internal lies under the Cloud Map namespace internal/,
    );
    assert.match(error, /private hosted zone, which shadows/);
    // With another namespace the same host is fine, and a look-alike suffix is not "under".
    ok({
      ...EXTERNAL,
      [k("namespaceName")]: "svc.local",
      [k("consulHttpAddr")]: "http://consul.dev.example.internal:8500",
      [k("consulDnsDomain")]: "example.internal",
    });
    ok({
      ...EXTERNAL,
      [k("consulHttpAddr")]: "http://consul.xinternal:8500",
      [k("consulDnsDomain")]: "xinternal",
    });
  });

  it("external: consulCidr may not overlap the VPC", () => {
    assert.match(
      errorsOf({ ...EXTERNAL, [k("vpcCidr")]: "10.60.0.0/20" })[0],
      /consulCidr: overlaps the VPC's 10\.60\.0\.0\/20/,
    );
  });

  it("pure helpers: label-wise domain containment, CIDR overlap", () => {
    assert.ok(isUnderDomain("a.b.internal", "internal") && isUnderDomain("internal", "internal"));
    assert.ok(!isUnderDomain("ainternal", "internal"));
    assert.ok(cidrsOverlap("10.0.0.0/16", "10.0.255.0/24"));
    assert.ok(!cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"));
    assert.ok(cidrsOverlap("0.0.0.0/0", "192.168.0.0/16"));
  });
});

describe("infra settings: helloConsulServices (Consul services hello reaches through the forwarder)", () => {
  const external = (values: Record<string, string>) => ({
    ...EXTERNAL,
    [k("consulKnownServices")]: "consul,vault,db",
    ...Object.fromEntries(Object.entries(values).map(([key, v]) => [k(key), v])),
  });
  const problems = (values: Record<string, string>) =>
    errorsOf(external(values)).filter((e) => e.startsWith(`${k("helloConsulServices")}:`));

  it("empty by default: no forwarder", () => {
    assert.deepStrictEqual(ok(EXTERNAL).helloConsulServices, []);
  });

  it("external Consul: each entry gets consul-aws's Cloud Map prefix, its port, consulCidr and <NAME>_ADDR", () => {
    const s = ok(
      external({ helloConsulServices: "https://vault:8200, db:5432", consulSyncPrefixInCloudMap: "c-" }),
    );
    assert.deepStrictEqual(s.helloConsulServices, [
      {
        name: "c-vault",
        localPort: 8200,
        remotePort: 8200,
        remoteCidr: "10.60.0.0/16",
        envVar: "VAULT_ADDR",
        scheme: "https",
      },
      { name: "c-db", localPort: 5432, remotePort: 5432, remoteCidr: "10.60.0.0/16", envVar: "DB_ADDR" },
    ]);
  });

  it("embedded Consul: the instances are in the VPC, so egress goes to the VPC's block", () => {
    const s = ok({
      ...BASE,
      [k("consulMode")]: "embedded",
      [k("consulImage")]: IMAGE,
      [k("vpcCidr")]: "10.20.0.0/16",
      [k("consulKnownServices")]: "consul,vault",
      [k("helloConsulServices")]: "vault:8200",
    });
    assert.deepStrictEqual(
      s.helloConsulServices.map((x) => [x.name, x.remoteCidr]),
      [["vault", "10.20.0.0/16"]],
    );
  });

  it("refuses, naming the setting: consulMode off, a malformed entry, a repeated name or port, the admin port, hello's port, an unknown service", () => {
    assert.match(
      errorsOf({ ...BASE, [k("helloConsulServices")]: "vault:8200" }).join("\n"),
      /helloConsulServices: needs consulMode embedded or external/,
    );
    for (const bad of [
      "vault",
      "vault:0",
      "vault:70000",
      "1x://vault:8200",
      "Vault:8200",
      "vault:8200,vault:8201",
      "vault:8200,db:8200",
      "vault:9901",
    ]) {
      assert.match(problems({ helloConsulServices: bad }).join("\n"), /must be comma-separated/, bad);
    }
    assert.match(
      problems({ helloConsulServices: "vault:3000" }).join("\n"),
      /port 3000 is hello's own \(helloPort\)/,
    );
    assert.match(
      problems({ helloConsulServices: "payments:9000" }).join("\n"),
      /lists payments, which consulKnownServices \(consul,vault,db\) does not/,
    );
    assert.strictEqual(
      ok(external({ helloConsulServices: "https://vault:8200,db:5432" })).helloConsulServices.length,
      2,
    );
  });
});
