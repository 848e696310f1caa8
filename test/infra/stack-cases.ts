/** Settings combinations that more than one suite builds. */
import { PROJECT } from "./harness";

const k = (key: string) => `${PROJECT}:${key}`;

/**
 * An external Consul on dev's network, reached over a peering, its host resolved by forwarding
 * (outside the Cloud Map namespace, which would shadow it).
 */
export const EXTERNAL_CONSUL_ON_DEV: Readonly<Record<string, string>> = {
  [k("consulMode")]: "external",
  [k("consulHttpAddr")]: "https://consul.dev.example.internal",
  [k("consulCidr")]: "10.50.0.0/16",
  [k("consulTokenSecretArn")]:
    "arn:aws:secretsmanager:eu-west-1:111111111111:secret:dev/consul/acl-token-AbCdEf",
  [k("consulPeeringConnectionId")]: "pcx-0123456789abcdef0",
  [k("consulDnsDomain")]: "dev.example.internal",
  [k("consulDnsServers")]: "10.50.0.2",
  [k("namespaceName")]: "svc.example.internal",
};
