/**
 * What the settings tests share: values that pass, the smallest valid external Consul, and
 * parseSettings fed the way the Pulumi CLI feeds the program (Pulumi.yaml's defaults filled in).
 */
import * as assert from "assert";
import {
  ExternalConsulSettings,
  parseSettings,
  qualifiedKey,
  RawConfig,
  SettingsResult,
  Settings,
} from "../../program/stack-settings";
import { withProjectDefaults } from "./harness";

export const k = qualifiedKey;
export const REGION: RawConfig = { "aws:region": "us-east-1" };
export const TOKEN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:t-AbCdEf";
export const CA = "arn:aws:secretsmanager:us-east-1:111111111111:secret:ca-AbCdEf";
export const PCX = "pcx-0123456789abcdef0";
export const TGW = "tgw-0123456789abcdef0";
export const CONSUL_IMAGE = `public.ecr.aws/hashicorp/consul:1.21.5@sha256:${"a".repeat(64)}`;

/** `values` by their short setting names, on top of `base`. */
export function set(values: Readonly<Record<string, string>>, base: RawConfig = REGION): RawConfig {
  return {
    ...base,
    ...Object.fromEntries(Object.entries(values).map(([key, value]) => [k(key), value])),
  };
}

/**
 * An external Consul: by default the smallest valid one (an IP address, so no DNS to forward, a
 * peering route, a token); `values` (short setting names) change or add to it.
 */
export function externalConsul(values: Readonly<Record<string, string>> = {}): Record<string, string> {
  return set(
    {
      consulMode: "external",
      consulHttpAddr: "http://10.9.0.5:8500",
      consulCidr: "10.9.0.0/16",
      consulTokenSecretArn: TOKEN,
      consulPeeringConnectionId: PCX,
      ...values,
    },
    {},
  ) as Record<string, string>;
}

/** The smallest valid external Consul. */
export const SYNC: RawConfig = externalConsul();

/** An external Consul by host name, forwarded to its DNS servers. */
export const EXTERNAL: RawConfig = {
  ...REGION,
  ...externalConsul({
    consulHttpAddr: "https://consul.corp.example:8501",
    consulCidr: "10.60.0.0/16",
    consulDnsDomain: "corp.example",
    consulDnsServers: "10.60.0.10, 10.60.1.10",
  }),
};

/** parseSettings as the program sees it under the Pulumi CLI: Pulumi.yaml's defaults filled in. */
export function parse(raw: RawConfig, defaults = true): SettingsResult {
  return parseSettings(defaults ? withProjectDefaults(raw as Record<string, string>) : raw);
}

export function ok(raw: RawConfig): Settings {
  const result = parse(raw);
  if (!result.ok) assert.fail(result.errors.join("\n"));
  return result.settings;
}

/** The problems `raw` has; fails when it has none. */
export function errorsOf(raw: RawConfig, defaults = true): string[] {
  const result = parse(raw, defaults);
  assert.ok(!result.ok, "expected errors");
  return result.errors;
}

/** The one problem `raw` has; fails when it has none or several. */
export function onlyError(raw: RawConfig): string {
  const errors = errorsOf(raw);
  assert.strictEqual(errors.length, 1, `expected one error, got ${JSON.stringify(errors)}`);
  return errors[0];
}

/** The external Consul of settings that must have one. */
export function externalOf(s: Settings): ExternalConsulSettings {
  const consul = s.consulSync?.consul;
  assert.ok(consul?.kind === "external", `expected an external Consul, got ${JSON.stringify(consul)}`);
  return consul;
}
