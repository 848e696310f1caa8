/**
 * Type tokens of the components before they became this package (`ecs-cloudmap-consul:<module>:<Class>`),
 * and the aliases that keep a stack deployed then from replacing anything: the engine maps the old
 * URN of the component, and through it of every child, to the new one.
 */
import * as pulumi from "@pulumi/pulumi";

/** The package's token for a component class: the schema allows only the `index` module. */
export function packageType(className: string): string {
  return `ecs-cloudmap-consul:index:${className}`;
}

/** Each component's token before 0.1.0, when the components lived in the sample program. */
export const FORMER_TYPES = {
  ApiGateway: "ecs-cloudmap-consul:apiGateway:ApiGateway",
  Cluster: "ecs-cloudmap-consul:cluster:Cluster",
  ConsulCatalogCheck: "ecs-cloudmap-consul:consulCatalogCheck:ConsulCatalogCheck",
  ConsulManagementToken: "ecs-cloudmap-consul:consulServer:ConsulManagementToken",
  ConsulReach: "ecs-cloudmap-consul:consulReach:ConsulReach",
  ConsulServer: "ecs-cloudmap-consul:consulServer:ConsulServer",
  ConsulSync: "ecs-cloudmap-consul:consulSync:ConsulSync",
  DiscoverableService: "ecs-cloudmap-consul:discoverableService:DiscoverableService",
  LoadBalancer: "ecs-cloudmap-consul:loadBalancer:LoadBalancer",
  Namespace: "ecs-cloudmap-consul:namespace:Namespace",
  Network: "ecs-cloudmap-consul:network:Network",
} as const;
export type MovedComponent = keyof typeof FORMER_TYPES;

/** `opts` plus an alias from the token the component had before the package, `former`. */
export function withFormerType(
  opts: pulumi.ComponentResourceOptions | undefined,
  former: string,
): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: former }] };
}

/**
 * The aliases of a component a stack built at its root, under the same name, that now sits under
 * another component: at the root with its token now (0.1.0) and with its former token (before the
 * package). Under Pulumi's mocks the root stack is undefined, which the SDK sends as "no parent":
 * the same URN.
 */
export function fromStackRoot(component: MovedComponent): pulumi.Alias[] {
  return [
    { parent: pulumi.rootStackResource },
    { parent: pulumi.rootStackResource, type: FORMER_TYPES[component] },
  ];
}
