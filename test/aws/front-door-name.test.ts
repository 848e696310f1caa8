/**
 * The HTTPS front door's name against AWS's Route 53 model: the alias record prod declares is a
 * ChangeResourceRecordSets request AWS accepts, aimed at the ALB's own name and canonical zone.
 */
import * as assert from "assert";
import { loadStackConfig, runProgram } from "../infra/harness";
import { validateRequest } from "./rules/api-models";

describe("aws rules: the front door's alias record", function () {
  this.timeout(60_000);
  it("prod: a valid ChangeResourceRecordSets (alias A, no TTL or records) onto the ALB's name and zone", async () => {
    const run = await runProgram(loadStackConfig("prod"), "prod");
    if (run.error) throw run.error;
    const record = run.resources.find((r) => r.name === "public-alias");
    const alb = run.resources.find((r) => r.type === "aws:lb/loadBalancer:LoadBalancer");
    assert.ok(record && alb);
    const aliases = record.inputs.aliases as {
      name: string;
      zoneId: string;
      evaluateTargetHealth: boolean;
    }[];
    assert.strictEqual(aliases.length, 1);
    assert.deepStrictEqual([aliases[0].name, aliases[0].zoneId], [alb.state.dnsName, alb.state.zoneId]);
    // An alias record carries neither TTL nor records: Route 53 refuses both with an AliasTarget.
    assert.strictEqual(record.inputs.ttl, undefined);
    assert.strictEqual(record.inputs.records, undefined);
    const request = {
      HostedZoneId: record.inputs.zoneId,
      ChangeBatch: {
        Changes: [
          {
            Action: "CREATE",
            ResourceRecordSet: {
              Name: record.inputs.name,
              Type: record.inputs.type,
              AliasTarget: {
                HostedZoneId: aliases[0].zoneId,
                DNSName: aliases[0].name,
                EvaluateTargetHealth: aliases[0].evaluateTargetHealth,
              },
            },
          },
        ],
      },
    };
    assert.deepStrictEqual(validateRequest("route53", "ChangeResourceRecordSets", request), []);
    // The check bites: a record set without its required Type is refused.
    assert.notDeepStrictEqual(
      validateRequest("route53", "ChangeResourceRecordSets", {
        ...request,
        ChangeBatch: { Changes: [{ Action: "CREATE", ResourceRecordSet: { Name: record.inputs.name } }] },
      }),
      [],
    );
    assert.strictEqual(run.outputs.helloUrl, `https://${String(record.inputs.name)}/`);
  });
});
