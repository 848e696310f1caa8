/**
 * The driver's Consul sync proof: the pure parts (catalog log parsing, pass/fail per side) called
 * directly, and the AWS flow (RunTask → DescribeTasks → GetLogEvents, Cloud Map listing) against
 * stubbed SDK v3 clients. A run against a real stack needs AWS and is skipped without it.
 */
import * as assert from "node:assert/strict";
import * as ecs from "@aws-sdk/client-ecs";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as sd from "@aws-sdk/client-servicediscovery";
import { mockClient } from "aws-sdk-client-mock";
import {
  awsConsulCheckDeps,
  formatConsulCheck,
  judgeCloudMapSide,
  judgeConsulSide,
  parseCatalogLog,
  runConsulCheck,
  type CatalogEntry,
  type ConsulCheckInfo,
} from "../../driver/consul-check";

const entry = (over: Partial<CatalogEntry> = {}): CatalogEntry => ({
  Node: "consul-aws",
  ServiceName: "hello",
  ServicePort: 3000,
  ServiceTags: ["aws"],
  Address: "10.10.1.5",
  ...over,
});
const INFO: ConsulCheckInfo = {
  mode: "embedded",
  region: "eu-west-1",
  consulHttpAddr: "http://consul-server.internal:8500",
  clusterName: "ecs-cluster",
  subnetIds: ["subnet-a", "subnet-b"],
  task: {
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/check:3",
    securityGroupId: "sg-check",
    logGroupName: "/ecs/p-dev/consul-check",
    logStreamPrefix: "check",
    containerName: "catalog-check",
  },
  inConsul: [
    { service: "hello", consulName: "hello", port: 3000 },
    { service: "name", consulName: "name", port: 3000 },
  ],
  inCloudMap: { namespaceId: "ns-1", services: [{ consulName: "consul", cloudMapName: "consul" }] },
};
const line = (service: string, entries: CatalogEntry[]) => `CATALOG ${service} ${JSON.stringify(entries)}`;

describe("driver consul check: parsing and deciding", () => {
  it("parses CATALOG lines, ignores other output, marks bad JSON", () => {
    const catalog = parseCatalogLog([
      "starting",
      line("hello", [entry()]),
      "CATALOG name {not json",
      "  CATALOG x []  ",
    ]);
    assert.deepEqual([...catalog.keys()], ["hello", "name", "x"]);
    assert.deepEqual(catalog.get("hello"), [entry()]);
    assert.equal(catalog.get("name"), "unparseable");
    assert.deepEqual(catalog.get("x"), []);
  });

  it("passes when every service has a consul-aws instance on the expected port", () => {
    const r = judgeConsulSide(
      INFO.inConsul,
      parseCatalogLog([
        line("hello", [entry()]),
        line("name", [entry({ ServiceName: "name", Address: "10.10.2.7" })]),
      ]),
      0,
    );
    assert.equal(r.ok, true);
    assert.deepEqual(r.lines, [
      "hello: 1 instance(s) from consul-aws on port 3000 (10.10.1.5)",
      "name: 1 instance(s) from consul-aws on port 3000 (10.10.2.7)",
    ]);
  });

  it("fails, saying why: missing, not from consul-aws, wrong port (no SRV record), not reported, bad exit code", () => {
    const judge = (entries: CatalogEntry[] | undefined, exit = 1) =>
      judgeConsulSide([INFO.inConsul[0]], parseCatalogLog(entries ? [line("hello", entries)] : []), exit);
    assert.match(judge([]).lines[0], /hello: not in Consul's catalog/);
    assert.match(
      judge([entry({ Node: "ip-10-0-0-1", ServiceTags: [] })]).lines[0],
      /none registered by consul-aws/,
    );
    assert.match(
      judge([entry({ ServicePort: 0 })]).lines[0],
      /port 0 instead of 3000 \(the Cloud Map service needs an SRV record/,
    );
    assert.match(judge(undefined).lines[0], /not reported by the check task/);
    const allThereButFailed = judge([entry()], 2);
    assert.equal(allThereButFailed.ok, false);
    assert.match(allThereButFailed.lines[1], /exited 2/);
    assert.equal(judge([entry()], 0).ok, true);
  });

  it("Cloud Map side: the service must exist, be consul-aws's, and have instances", () => {
    const want = INFO.inCloudMap.services;
    const svc = (over: Partial<sd.ServiceSummary>) => ({
      Id: "srv-1",
      Name: "consul",
      Description: "Imported from Consul",
      ...over,
    });
    assert.equal(judgeCloudMapSide(want, [svc({})], new Map([["srv-1", 1]])).ok, true);
    assert.match(judgeCloudMapSide(want, [], new Map()).lines[0], /consul: not in the Cloud Map namespace/);
    assert.match(
      judgeCloudMapSide(want, [svc({ Description: "hand-made" })], new Map([["srv-1", 1]])).lines[0],
      /not created by consul-aws/,
    );
    assert.match(
      judgeCloudMapSide(want, [svc({})], new Map([["srv-1", 0]])).lines[0],
      /has no instances yet/,
    );
  });
});

describe("driver consul check: AWS flow (stubbed SDK clients)", () => {
  // Installed per suite (not at load time), so another file's stub of the same client never overlaps.
  const stubs = () => ({
    ecs: mockClient(ecs.ECSClient),
    logs: mockClient(logs.CloudWatchLogsClient),
    sd: mockClient(sd.ServiceDiscoveryClient),
  });
  let ecsMock: ReturnType<typeof stubs>["ecs"];
  let logsMock: ReturnType<typeof stubs>["logs"];
  let sdMock: ReturnType<typeof stubs>["sd"];
  before(() => ({ ecs: ecsMock, logs: logsMock, sd: sdMock } = stubs()));
  const clients = {
    ecs: new ecs.ECSClient({ region: "eu-west-1" }),
    logs: new logs.CloudWatchLogsClient({ region: "eu-west-1" }),
    cloudMap: new sd.ServiceDiscoveryClient({ region: "eu-west-1" }),
  };
  const sdk = { ecs, logs, cloudMap: sd };
  const TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/ecs-cluster/0123456789abcdef";
  afterEach(() => {
    ecsMock.reset();
    logsMock.reset();
    sdMock.reset();
  });
  after(() => {
    ecsMock.restore();
    logsMock.restore();
    sdMock.restore();
  });

  function stubTaskThatStops(exitCode: number, log: string[]): void {
    ecsMock.on(ecs.RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    ecsMock
      .on(ecs.DescribeTasksCommand)
      .resolvesOnce({ tasks: [{ taskArn: TASK_ARN, lastStatus: "PROVISIONING" }] })
      .resolves({
        tasks: [
          { taskArn: TASK_ARN, lastStatus: "STOPPED", containers: [{ name: "catalog-check", exitCode }] },
        ],
      });
    // Two pages, then the same token again (CloudWatch's end of stream).
    logsMock
      .on(logs.GetLogEventsCommand, { nextToken: undefined })
      .resolves({ events: log.slice(0, 1).map((message) => ({ message })), nextForwardToken: "f/1" })
      .on(logs.GetLogEventsCommand, { nextToken: "f/1" })
      .resolves({ events: log.slice(1).map((message) => ({ message })), nextForwardToken: "f/2" })
      .on(logs.GetLogEventsCommand, { nextToken: "f/2" })
      .resolves({ events: [], nextForwardToken: "f/2" });
  }

  it("runs the task in the private subnets, reads its log stream, and proves both directions", async () => {
    stubTaskThatStops(0, [line("hello", [entry()]), line("name", [entry({ ServiceName: "name" })])]);
    sdMock.on(sd.ListServicesCommand).resolves({
      Services: [
        { Id: "srv-c", Name: "consul", Description: "Imported from Consul" },
        { Id: "srv-h", Name: "hello" },
      ],
    });
    sdMock
      .on(sd.ListInstancesCommand, { ServiceId: "srv-c" })
      .resolves({ Instances: [{ Id: "10.10.9.9:8300" }] });

    const result = await runConsulCheck(INFO, clients, sdk, { sleep: () => Promise.resolve(), pollMs: 1 });

    assert.equal(result.ok, true, formatConsulCheck(result));
    const run = ecsMock.commandCalls(ecs.RunTaskCommand)[0].args[0].input;
    assert.deepEqual(run.networkConfiguration, {
      awsvpcConfiguration: {
        subnets: ["subnet-a", "subnet-b"],
        securityGroups: ["sg-check"],
        assignPublicIp: "DISABLED",
      },
    });
    assert.equal(run.launchType, "FARGATE");
    assert.equal(run.taskDefinition, INFO.task?.taskDefinitionArn);
    const logCalls = logsMock.commandCalls(logs.GetLogEventsCommand);
    assert.equal(logCalls.length, 3);
    assert.equal(logCalls[0].args[0].input.logStreamName, "check/catalog-check/0123456789abcdef");
    assert.deepEqual(
      sdMock.commandCalls(sd.ListInstancesCommand).map((c) => c.args[0].input.ServiceId),
      ["srv-c"],
      "only the expected services' instances are listed",
    );
    assert.match(
      formatConsulCheck(result),
      /^consul sync check passed\nCloud Map → Consul: ok\n {2}hello: 1 instance/,
    );
  });

  it("a task that finds nothing fails the check with the catalog's own words, and retries Cloud Map before failing", async () => {
    stubTaskThatStops(1, [line("hello", []), line("name", [])]);
    sdMock.on(sd.ListServicesCommand).resolves({ Services: [] });
    const result = await runConsulCheck(INFO, clients, sdk, {
      sleep: () => Promise.resolve(),
      pollMs: 1,
      cloudMapAttempts: 3,
    });
    assert.equal(result.ok, false);
    assert.match(result.consul.lines[0], /hello: not in Consul's catalog/);
    assert.match(result.cloudMap.lines[0], /consul: not in the Cloud Map namespace/);
    assert.equal(sdMock.commandCalls(sd.ListServicesCommand).length, 3);
  });

  it("ECS refusing to start the task is an error naming ECS's reason", async () => {
    ecsMock
      .on(ecs.RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: "RESOURCE:ENI", detail: "no free addresses" }] });
    await assert.rejects(
      runConsulCheck(INFO, clients, sdk, { sleep: () => Promise.resolve() }),
      /did not start the catalog check task: RESOURCE:ENI \(no free addresses\)/,
    );
  });

  it("an external Consul without a check task skips that side, saying how to get it", async () => {
    sdMock
      .on(sd.ListServicesCommand)
      .resolves({ Services: [{ Id: "srv-c", Name: "consul", Description: "Imported from Consul" }] });
    sdMock.on(sd.ListInstancesCommand).resolves({ Instances: [{ Id: "i" }] });
    const result = await runConsulCheck({ ...INFO, mode: "external", task: undefined }, clients, sdk, {
      sleep: () => Promise.resolve(),
    });
    assert.equal(result.ok, true);
    assert.match(result.consul.skipped ?? "", /set consulImage/);
    assert.equal(ecsMock.commandCalls(ecs.RunTaskCommand).length, 0);
  });
});

describe("driver consul check: against a deployed stack", () => {
  it("proves the sync of the stack named by CONSUL_CHECK_STACK_OUTPUT", async function () {
    // Needs AWS credentials and a deployed stack; the output JSON comes from `pulumi stack output consulCatalogCheck --json`.
    const output = process.env.CONSUL_CHECK_STACK_OUTPUT;
    if (!output || !(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE)) {
      console.log(
        "      skipped: needs AWS credentials and a deployed stack (CONSUL_CHECK_STACK_OUTPUT='<pulumi stack output consulCatalogCheck --json>')",
      );
      this.skip();
    }
    this.timeout(15 * 60_000);
    const info = JSON.parse(output) as ConsulCheckInfo;
    const { clients, sdk } = await awsConsulCheckDeps(info.region);
    const result = await runConsulCheck(info, clients, sdk);
    assert.equal(result.ok, true, formatConsulCheck(result));
  });
});
