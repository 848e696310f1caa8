/**
 * Bad settings stop the program before anything is registered, with one error
 * naming every bad key and what it allows.
 */
import * as assert from "assert";
import { loadStackConfig, runProgram } from "./harness";
import { k } from "./settings-fixtures";

interface InvalidCase {
  readonly what: string;
  readonly set: Record<string, string>;
  /** Texts the error must contain: the key and what is allowed. */
  readonly expect: readonly string[];
  /** The stack file the bad value is applied to. Default: dev (embedded Consul); prod has an external one. */
  readonly stack?: "dev" | "prod";
}

const CASES: readonly InvalidCase[] = [
  {
    what: "Fargate cpu/memory pair",
    set: { [k("helloCpu")]: "256", [k("helloMemory")]: "4096" },
    expect: [k("helloMemory"), "cpu 256 allows memory 512, 1024-2048"],
  },
  {
    what: "cpu Fargate does not offer",
    set: { [k("nameCpu")]: "300" },
    expect: [k("nameCpu"), "one of 256, 512, 1024, 2048, 4096, 8192, 16384"],
  },
  {
    what: "negative task count",
    set: { [k("nameDesiredCount")]: "-1" },
    expect: [k("nameDesiredCount"), "integer from 0 to 1000", '"-1"'],
  },
  {
    what: "autoscaling min above max",
    set: { [k("autoscaling")]: "true", [k("helloMinCount")]: "5", [k("helloMaxCount")]: "2" },
    expect: [k("helloMinCount"), "must not exceed helloMaxCount"],
  },
  {
    what: "desired count outside the autoscaling bounds",
    set: { [k("autoscaling")]: "true", [k("nameDesiredCount")]: "9" },
    expect: [k("nameDesiredCount"), "within nameMinCount..nameMaxCount (1..4)"],
  },
  {
    what: "VPC CIDR with host bits",
    set: { [k("vpcCidr")]: "10.0.0.1/16" },
    expect: [k("vpcCidr"), "network CIDR from /16 to /23"],
  },
  {
    what: "VPC CIDR too small",
    set: { [k("vpcCidr")]: "10.0.0.0/28" },
    expect: [k("vpcCidr"), "/16 to /23"],
  },
  { what: "AZ count", set: { [k("azCount")]: "0" }, expect: [k("azCount"), "integer from 2 to 6"] },
  {
    what: "one AZ (an ALB needs two)",
    set: { [k("azCount")]: "1" },
    expect: [k("azCount"), "integer from 2 to 6"],
  },
  {
    what: "more AZs than the region has",
    set: { [k("azCount")]: "4" },
    expect: [k("azCount"), 'eu-west-1 has 3 availability zones, got "4"'],
  },
  {
    what: "port out of range",
    set: { [k("helloPort")]: "70000" },
    expect: [k("helloPort"), "integer from 1 to 65535"],
  },
  {
    what: "namespace name",
    set: { [k("namespaceName")]: "Internal_NS" },
    expect: [k("namespaceName"), "lowercase DNS name"],
  },
  {
    what: "record TTL range",
    set: { [k("dnsTtl")]: "3600" },
    expect: [k("dnsTtl"), "integer from 0 to 300"],
  },
  {
    what: "SOA TTL range",
    set: { [k("namespaceSoaTtl")]: "-5" },
    expect: [k("namespaceSoaTtl"), "integer from 0 to 300"],
  },
  {
    what: "log retention CloudWatch does not accept",
    set: { [k("logRetentionDays")]: "10" },
    expect: [k("logRetentionDays"), "one of 1, 3, 5, 7, 14, 30"],
  },
  {
    what: "NAT strategy",
    set: { [k("natGateways")]: "Double" },
    expect: [k("natGateways"), "one of Single, OnePerAz"],
  },
  {
    what: "capacity strategy",
    set: { [k("capacityStrategy")]: "cheap" },
    expect: [k("capacityStrategy"), "one of ondemand, spot, mixed"],
  },
  { what: "boolean", set: { [k("autoscaling")]: "yes" }, expect: [k("autoscaling"), "true or false"] },
  {
    what: "deployment percents that block deployments",
    set: { [k("minHealthyPercent")]: "100", [k("maxPercent")]: "100" },
    expect: [k("maxPercent"), "must exceed minHealthyPercent"],
  },
  {
    what: "external Consul without an address",
    stack: "prod",
    set: { [k("consulHttpAddr")]: "" },
    expect: [k("consulHttpAddr"), "required when consulMode is external"],
  },
  {
    what: "Consul address without scheme",
    stack: "prod",
    set: { [k("consulHttpAddr")]: "consul:8500" },
    expect: [k("consulHttpAddr"), "http://host[:port] or https://host[:port]"],
  },
  {
    what: "external Consul without a CIDR",
    stack: "prod",
    set: { [k("consulCidr")]: "" },
    expect: [k("consulCidr"), "required when consulMode is external"],
  },
  {
    what: "Consul token that is not a secret ARN",
    stack: "prod",
    set: { [k("consulTokenSecretArn")]: "s3cr3t-token-value" },
    expect: [k("consulTokenSecretArn"), "complete Secrets Manager ARN"],
  },
  {
    what: "external Consul without a token",
    stack: "prod",
    set: { [k("consulTokenSecretArn")]: "" },
    expect: [k("consulTokenSecretArn"), "required when consulMode is external"],
  },
  {
    what: "CA certificate without TLS",
    stack: "prod",
    set: { [k("consulHttpAddr")]: "http://consul.prod.example.com:8500" },
    expect: [k("consulCaCertSecretArn"), "https://"],
  },
  {
    what: "external Consul host under the Cloud Map namespace (shadowed by its private zone)",
    stack: "prod",
    set: {
      [k("consulHttpAddr")]: "https://consul.prod.example.internal:8501",
      [k("consulDnsDomain")]: "example.internal",
    },
    expect: [k("consulHttpAddr"), "lies under the Cloud Map namespace internal", "shadows"],
  },
  {
    what: "external Consul with no route to it",
    stack: "prod",
    set: { [k("consulTransitGatewayId")]: "" },
    expect: [k("consulPeeringConnectionId"), "or consulTransitGatewayId is required"],
  },
  {
    what: "external Consul host without DNS forwarding",
    stack: "prod",
    set: { [k("consulDnsDomain")]: "", [k("consulDnsServers")]: "" },
    expect: [k("consulDnsDomain"), "Route 53 Resolver rule"],
  },
  {
    what: "embedded Consul by a moving tag",
    set: { [k("consulImage")]: "public.ecr.aws/hashicorp/consul:latest" },
    expect: [k("consulImage"), "by version tag or digest", "not latest"],
  },
  {
    what: "unknown consulMode",
    set: { [k("consulMode")]: "true" },
    expect: [k("consulMode"), "one of embedded, external, off"],
  },
  {
    what: "the retired consulSyncEnabled",
    set: { [k("consulSyncEnabled")]: "true" },
    expect: [k("consulSyncEnabled"), "replaced by consulMode"],
  },
  {
    what: "partial secret ARN (no 6-character suffix)",
    stack: "prod",
    set: {
      [k("consulTokenSecretArn")]:
        "arn:aws:secretsmanager:eu-west-1:222222222222:secret:prod/consul/acl-token",
    },
    expect: [k("consulTokenSecretArn"), "ending in the 6 characters AWS appends"],
  },
  {
    what: "CA init image by a moving tag",
    set: { [k("consulCaInitImage")]: "public.ecr.aws/docker/library/busybox:latest" },
    expect: [k("consulCaInitImage"), "by version tag or digest", "not latest"],
  },
  {
    what: "Consul image without a tag or digest",
    set: { [k("consulImage")]: "public.ecr.aws/hashicorp/consul" },
    expect: [k("consulImage"), "by version tag or digest"],
  },
  {
    what: "consul-aws digest",
    set: { [k("consulAwsDigest")]: "sha256:abc" },
    expect: [k("consulAwsDigest"), "sha256:<64 hex>"],
  },
  {
    // No certificate covers the ALB's own name: HTTPS needs the name clients use, and its zone.
    what: "a certificate without a domain",
    set: { [k("certificateArn")]: "arn:aws:acm:eu-west-1:111111111111:certificate/0f3b-12ab" },
    expect: [k("certificateArn"), "needs domainName (and hostedZoneId)", "none covers the ALB's own"],
  },
  {
    what: "a domain without its hosted zone",
    set: { [k("domainName")]: "hello.corp.acme.io" },
    expect: [k("hostedZoneId"), "is required with domainName", "hello.corp.acme.io"],
  },
  {
    what: "a hosted zone without a domain",
    set: { [k("hostedZoneId")]: "Z04512345ABCDEFGHIJKL" },
    expect: [k("domainName"), "is required with hostedZoneId"],
  },
  {
    what: "a domain that is not a DNS name",
    set: { [k("domainName")]: "Hello.Corp", [k("hostedZoneId")]: "Z04512345ABCDEFGHIJKL" },
    expect: [k("domainName"), "lowercase DNS name of at least two labels"],
  },
  {
    what: "certificate ARN format",
    set: { [k("certificateArn")]: "arn:aws:iam::111111111111:server-certificate/x" },
    expect: [k("certificateArn"), "ACM certificate ARN"],
  },
  {
    what: "KMS key ARN format",
    set: { [k("secretsKmsKeyArn")]: "alias/secrets" },
    expect: [k("secretsKmsKeyArn"), "KMS key ARN"],
  },
  {
    what: "poll interval",
    set: { [k("consulSyncPollInterval")]: "30" },
    expect: [k("consulSyncPollInterval"), "duration like 30s"],
  },
  {
    what: "consul-aws version",
    set: { [k("consulAwsVersion")]: "latest" },
    expect: [k("consulAwsVersion"), "x.y.z"],
  },
  {
    what: "sync prefix",
    set: { [k("consulSyncPrefixInConsul")]: "AWS_" },
    expect: [k("consulSyncPrefixInConsul"), "a-z, 0-9 and -"],
  },
  { what: "image tag", set: { [k("imageTag")]: "feature/x" }, expect: [k("imageTag"), "a Docker tag"] },
  { what: "missing region", set: { "aws:region": "" }, expect: ["aws:region", "AWS region like us-east-1"] },
  {
    what: "discovery mode",
    set: { [k("discoveryMode")]: "consul" },
    expect: [k("discoveryMode"), "one of dns, serviceConnect", '"consul"'],
  },
  {
    what: "front door",
    set: { [k("frontDoor")]: "nlb" },
    expect: [k("frontDoor"), "one of alb, apiGateway", '"nlb"'],
  },
  {
    what: "API Gateway rate limit",
    set: { [k("frontDoor")]: "apiGateway", [k("apiThrottleRateLimit")]: "0" },
    expect: [k("apiThrottleRateLimit"), "integer from 1 to 10000"],
  },
  {
    what: "API Gateway burst limit",
    set: { [k("frontDoor")]: "apiGateway", [k("apiThrottleBurstLimit")]: "6000" },
    expect: [k("apiThrottleBurstLimit"), "integer from 1 to 5000"],
  },
];

describe("infra: invalid settings register nothing", function () {
  for (const c of CASES) {
    it(`${c.what}: clear error, zero resources`, async () => {
      const stack = c.stack ?? "dev";
      const run = await runProgram({ ...loadStackConfig(stack), ...c.set }, stack);
      assert.ok(run.error, "the program must fail");
      for (const text of c.expect)
        assert.ok(run.error.message.includes(text), `error lacks "${text}":\n${run.error.message}`);
      assert.match(run.error.message, /^Invalid stack configuration \(1 problem\)/);
      assert.deepStrictEqual(run.resources, []);
    });
  }

  it("reports every problem at once", async () => {
    const set = Object.assign(
      {},
      ...CASES.filter((c) =>
        [
          "NAT strategy",
          "port out of range",
          "namespace name",
          "log retention CloudWatch does not accept",
        ].includes(c.what),
      ).map((c) => c.set),
    ) as Record<string, string>;
    const run = await runProgram({ ...loadStackConfig("prod"), ...set }, "prod");
    assert.ok(run.error);
    assert.match(run.error.message, /\(4 problems\)/);
    for (const key of ["natGateways", "helloPort", "namespaceName", "logRetentionDays"])
      assert.ok(run.error.message.includes(k(key)), key);
    assert.deepStrictEqual(run.resources, []);
  });
});
