/**
 * Type tokens of the components before they became this package (`ecs-cloudmap-consul:<module>:<Class>`),
 * and the alias that keeps a stack deployed then from replacing anything: the engine maps the old
 * URN of the component, and through it of every child, to the new one.
 */
import * as pulumi from "@pulumi/pulumi";

/** The package's token for a component class: the schema allows only the `index` module. */
export function packageType(className: string): string {
  return `ecs-cloudmap-consul:index:${className}`;
}

/** `opts` plus an alias from the token the component had before the package, `former`. */
export function withFormerType(
  opts: pulumi.ComponentResourceOptions | undefined,
  former: string,
): pulumi.ComponentResourceOptions {
  return { ...opts, aliases: [...(opts?.aliases ?? []), { type: former }] };
}
