/**
 * The destroy cleanup against a stubbed Cloud Map client (aws-sdk-client-mock, at the SDK's
 * `send` boundary): pagination, asynchronous deregistration, services that vanish mid-way, and
 * that only consul-aws's services and Service Connect's (by name) are touched.
 */
import * as assert from "assert";
import * as sd from "@aws-sdk/client-servicediscovery";
import { mockClient } from "aws-sdk-client-mock";
import {
  deleteImportedServices,
  drainService,
  IMPORTED_DESCRIPTION,
} from "../../packages/ecs-cloudmap-consul/network/namespace-cleanup";
import { namespaceCleanupPolicy } from "../../packages/ecs-cloudmap-consul/shared/policies";

const NS = "ns-abc123";
const noSleep = async () => undefined;
const notFound = (name: "ServiceNotFound" | "InstanceNotFound") =>
  name === "ServiceNotFound"
    ? new sd.ServiceNotFound({ message: "no such service", $metadata: {} })
    : new sd.InstanceNotFound({ message: "no such instance", $metadata: {} });

describe("namespace cleanup (stubbed Cloud Map client)", () => {
  // Installed per suite (not at load time), so another file's stub of the same client never overlaps.
  let cloudMap: ReturnType<
    typeof mockClient<sd.ServiceInputTypes, sd.ServiceOutputTypes, sd.ServiceDiscoveryClientResolvedConfig>
  >;
  const client = new sd.ServiceDiscoveryClient({ region: "eu-west-1" });
  before(() => (cloudMap = mockClient(sd.ServiceDiscoveryClient)));
  afterEach(() => cloudMap.reset());
  after(() => cloudMap.restore());

  /** Operations succeed on the first poll unless a test says otherwise. */
  function operationsSucceed(): void {
    cloudMap.on(sd.GetOperationCommand).callsFake((input: sd.GetOperationCommandInput) => ({
      Operation: { Id: input.OperationId, Status: "SUCCESS" },
    }));
  }

  it("lists every page, filtered to the namespace, and deletes only consul-aws's services", async () => {
    cloudMap
      .on(sd.ListServicesCommand, { NextToken: undefined })
      .resolves({
        Services: [
          { Id: "srv-hello", Name: "hello", Description: "" },
          { Id: "srv-a", Name: "consul", Description: IMPORTED_DESCRIPTION },
        ],
        NextToken: "p2",
      })
      .on(sd.ListServicesCommand, { NextToken: "p2" })
      .resolves({
        Services: [
          { Id: "srv-b", Name: "payments", Description: IMPORTED_DESCRIPTION },
          { Id: "srv-name", Name: "name" },
        ],
      });
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [] });
    cloudMap.on(sd.DeleteServiceCommand).resolves({});

    const report = await deleteImportedServices(client, sd, NS, { sleep: noSleep });

    assert.deepStrictEqual(report.deletedServices, ["consul", "payments"]);
    const listCalls = cloudMap.commandCalls(sd.ListServicesCommand);
    assert.strictEqual(listCalls.length, 2);
    for (const call of listCalls)
      assert.deepStrictEqual(call.args[0].input.Filters, [
        { Name: "NAMESPACE_ID", Values: [NS], Condition: "EQ" },
      ]);
    assert.deepStrictEqual(
      cloudMap.commandCalls(sd.DeleteServiceCommand).map((c) => c.args[0].input.Id),
      ["srv-a", "srv-b"],
    );
  });

  it("deregisters every instance (all pages) and waits for the operations before DeleteService", async () => {
    const order: string[] = [];
    cloudMap
      .on(sd.ListServicesCommand)
      .resolves({ Services: [{ Id: "srv-a", Name: "consul", Description: IMPORTED_DESCRIPTION }] });
    cloudMap
      .on(sd.ListInstancesCommand, { ServiceId: "srv-a", NextToken: undefined })
      .resolves({ Instances: [{ Id: "i-1" }, { Id: "i-2" }], NextToken: "more" })
      .on(sd.ListInstancesCommand, { ServiceId: "srv-a", NextToken: "more" })
      .resolves({ Instances: [{ Id: "i-3" }] });
    cloudMap.on(sd.DeregisterInstanceCommand).callsFake((input: sd.DeregisterInstanceCommandInput) => {
      order.push(`deregister ${input.InstanceId}`);
      return { OperationId: `op-${input.InstanceId}` };
    });
    // op-i-2 needs two polls: Cloud Map deregisters asynchronously.
    const polls = new Map<string, number>();
    cloudMap.on(sd.GetOperationCommand).callsFake((input: sd.GetOperationCommandInput) => {
      const id = String(input.OperationId);
      polls.set(id, (polls.get(id) ?? 0) + 1);
      const done = id !== "op-i-2" || (polls.get(id) ?? 0) >= 2;
      if (done) order.push(`done ${id}`);
      return { Operation: { Id: id, Status: done ? "SUCCESS" : "PENDING" } };
    });
    cloudMap.on(sd.DeleteServiceCommand).callsFake(() => {
      order.push("delete srv-a");
      return {};
    });
    let slept = 0;

    const report = await deleteImportedServices(client, sd, NS, { sleep: async () => void slept++ });

    assert.strictEqual(report.deregisteredInstances, 3);
    assert.deepStrictEqual(order.slice(0, 3), ["deregister i-1", "deregister i-2", "deregister i-3"]);
    assert.strictEqual(
      order[order.length - 1],
      "delete srv-a",
      "DeleteService comes after every deregistration finished",
    );
    assert.ok(order.indexOf("done op-i-2") < order.indexOf("delete srv-a"));
    assert.strictEqual(slept, 1, "one wait while op-i-2 was pending");
  });

  it("a service that vanishes mid-way (ServiceNotFound on ListInstances or DeleteService) is done, the rest continue", async () => {
    cloudMap.on(sd.ListServicesCommand).resolves({
      Services: [
        { Id: "srv-gone-early", Name: "a", Description: IMPORTED_DESCRIPTION },
        { Id: "srv-gone-late", Name: "b", Description: IMPORTED_DESCRIPTION },
        { Id: "srv-c", Name: "c", Description: IMPORTED_DESCRIPTION },
      ],
    });
    cloudMap
      .on(sd.ListInstancesCommand, { ServiceId: "srv-gone-early" })
      .rejects(notFound("ServiceNotFound"));
    cloudMap
      .on(sd.ListInstancesCommand, { ServiceId: "srv-gone-late" })
      .resolves({ Instances: [{ Id: "i-9" }] });
    cloudMap.on(sd.ListInstancesCommand, { ServiceId: "srv-c" }).resolves({ Instances: [{ Id: "i-1" }] });
    // i-9 was removed by someone else between the listing and our call.
    cloudMap.on(sd.DeregisterInstanceCommand, { InstanceId: "i-9" }).rejects(notFound("InstanceNotFound"));
    cloudMap.on(sd.DeregisterInstanceCommand, { InstanceId: "i-1" }).resolves({ OperationId: "op-1" });
    operationsSucceed();
    cloudMap.on(sd.DeleteServiceCommand, { Id: "srv-gone-late" }).rejects(notFound("ServiceNotFound"));
    cloudMap.on(sd.DeleteServiceCommand, { Id: "srv-c" }).resolves({});

    const report = await deleteImportedServices(client, sd, NS, { sleep: noSleep });

    assert.deepStrictEqual(report.vanishedServices, ["a", "b"]);
    assert.deepStrictEqual(report.deletedServices, ["c"]);
    assert.strictEqual(report.deregisteredInstances, 1);
  });

  it("retries DeleteService while Cloud Map still reports the service in use", async () => {
    cloudMap
      .on(sd.ListServicesCommand)
      .resolves({ Services: [{ Id: "srv-a", Name: "consul", Description: IMPORTED_DESCRIPTION }] });
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [] });
    cloudMap
      .on(sd.DeleteServiceCommand)
      .rejectsOnce(new sd.ResourceInUse({ message: "service has instances", $metadata: {} }))
      .resolves({});
    const report = await deleteImportedServices(client, sd, NS, { sleep: noSleep });
    assert.deepStrictEqual(report.deletedServices, ["consul"]);
    assert.strictEqual(cloudMap.commandCalls(sd.DeleteServiceCommand).length, 2);
  });

  it("other errors fail the cleanup (so the destroy stops before the namespace) with the AWS error", async () => {
    cloudMap
      .on(sd.ListServicesCommand)
      .resolves({ Services: [{ Id: "srv-a", Name: "consul", Description: IMPORTED_DESCRIPTION }] });
    cloudMap.on(sd.ListInstancesCommand).rejects(
      Object.assign(new Error("User is not authorized to perform servicediscovery:ListInstances"), {
        name: "AccessDeniedException",
      }),
    );
    await assert.rejects(deleteImportedServices(client, sd, NS, { sleep: noSleep }), /not authorized/);
    assert.strictEqual(cloudMap.commandCalls(sd.DeleteServiceCommand).length, 0);
  });

  it("a failed deregistration operation is an error naming the service and Cloud Map's reason", async () => {
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [{ Id: "i-1" }] });
    cloudMap.on(sd.DeregisterInstanceCommand).resolves({ OperationId: "op-1" });
    cloudMap.on(sd.GetOperationCommand).resolves({
      Operation: { Id: "op-1", Status: "FAIL", ErrorCode: "INTERNAL_FAILURE", ErrorMessage: "boom" },
    });
    await assert.rejects(
      drainService(client, sd, "srv-a", { sleep: noSleep }),
      /srv-a \(operation op-1\): INTERNAL_FAILURE boom/,
    );
  });

  it("gives up on operations that stay pending, after the timeout", async () => {
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [{ Id: "i-1" }] });
    cloudMap.on(sd.DeregisterInstanceCommand).resolves({ OperationId: "op-1" });
    cloudMap.on(sd.GetOperationCommand).resolves({ Operation: { Id: "op-1", Status: "PENDING" } });
    let slept = 0;
    await assert.rejects(
      drainService(client, sd, "srv-a", { sleep: async () => void slept++, pollMs: 1000, timeoutMs: 5000 }),
      /still pending after 5 s: op-1/,
    );
    assert.strictEqual(slept, 5);
  });

  it("the policy grants exactly the Cloud Map actions the cleanup code sends, scoped to the namespace's services", async () => {
    cloudMap
      .on(sd.ListServicesCommand)
      .resolves({ Services: [{ Id: "srv-a", Name: "consul", Description: IMPORTED_DESCRIPTION }] });
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [{ Id: "i-1" }] });
    cloudMap.on(sd.DeregisterInstanceCommand).resolves({ OperationId: "op-1" });
    cloudMap.on(sd.GetOperationCommand).resolves({ Operation: { Id: "op-1", Status: "SUCCESS" } });
    cloudMap.on(sd.DeleteServiceCommand).resolves({});
    await deleteImportedServices(client, sd, NS, { sleep: noSleep });
    const sent = [
      ...new Set(
        cloudMap
          .calls()
          .map((c) => `servicediscovery:${(c.args[0] as object).constructor.name.replace(/Command$/, "")}`),
      ),
    ].sort();

    const policy = namespaceCleanupPolicy({
      namespaceArn: "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-abc123",
      hostedZoneId: "Z0MOCK",
    });
    const granted = policy.Statement.flatMap((s) => s.Action)
      .filter((a) => a.startsWith("servicediscovery:"))
      .sort();
    assert.deepStrictEqual(granted, sent);
    const serviceLevel = policy.Statement.find((s) => s.Sid === "EmptyImportedServices");
    assert.strictEqual(serviceLevel?.Resource, "arn:aws:servicediscovery:eu-west-1:123456789012:service/*");
    assert.ok(
      !policy.Statement.some((s) => s.Action.includes("secretsmanager:GetSecretValue")),
      "the cleanup reads no secret (Consul is deregistered by a task in the VPC)",
    );
  });

  it("an empty namespace makes no delete calls", async () => {
    cloudMap.on(sd.ListServicesCommand).resolves({ Services: [] });
    const report = await deleteImportedServices(client, sd, NS, { sleep: noSleep });
    assert.deepStrictEqual(report, { deletedServices: [], vanishedServices: [], deregisteredInstances: 0 });
    assert.strictEqual(
      cloudMap.commandCalls(sd.DeleteServiceCommand).length +
        cloudMap.commandCalls(sd.DeregisterInstanceCommand).length,
      0,
    );
  });
});

describe("namespace cleanup: Service Connect's services", () => {
  let cloudMap: ReturnType<
    typeof mockClient<sd.ServiceInputTypes, sd.ServiceOutputTypes, sd.ServiceDiscoveryClientResolvedConfig>
  >;
  const client = new sd.ServiceDiscoveryClient({ region: "eu-west-1" });
  before(() => (cloudMap = mockClient(sd.ServiceDiscoveryClient)));
  after(() => cloudMap.restore());

  it("deletes the services named for Service Connect as well as consul-aws's, never the stack's own", async () => {
    cloudMap.on(sd.ListServicesCommand).resolves({
      Services: [
        { Id: "srv-hello", Name: "hello", Description: "" },
        { Id: "srv-name", Name: "name" },
        { Id: "srv-name-sc", Name: "name-sc" },
        { Id: "srv-consul", Name: "consul", Description: IMPORTED_DESCRIPTION },
      ],
    });
    cloudMap.on(sd.ListInstancesCommand).resolves({ Instances: [] });
    cloudMap.on(sd.DeleteServiceCommand).resolves({});
    const report = await deleteImportedServices(client, sd, NS, { sleep: noSleep }, ["hello-sc", "name-sc"]);
    assert.deepStrictEqual(report.deletedServices, ["name-sc", "consul"]);
    assert.deepStrictEqual(
      cloudMap.commandCalls(sd.DeleteServiceCommand).map((c) => c.args[0].input.Id),
      ["srv-name-sc", "srv-consul"],
    );
  });
});
