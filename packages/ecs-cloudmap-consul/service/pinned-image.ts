/**
 * What reaches a task definition is an image digest, whatever the user wrote. A reference that
 * already holds a digest is used as it is; a tag is resolved to the digest the registry serves
 * for it, at deploy time (and at preview: invokes run then too), through @pulumi/docker's
 * `getRegistryImage`. It reads the registry's manifest (the multi-platform index for a
 * multi-platform image, which ECS accepts) and pulls nothing.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_BY_DIGEST } from "../shared/arg-checks";

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True when the reference pins a digest (`repo[:tag]@sha256:<64 hex>`). */
export function isPinned(ref: string): boolean {
  return IMAGE_BY_DIGEST.test(ref);
}

/** `ref@digest`, refusing anything the registry answers that is not a sha256 digest. */
export function pinTo(ref: string, digest: string): string {
  if (!DIGEST.test(digest))
    throw new Error(`the registry answered ${ref} with digest "${digest}", not sha256:<64 hex>`);
  return `${ref}@${digest}`;
}

/**
 * The image by digest: `ref` itself when it pins one, else the tag's digest from the registry.
 * @example pinnedImage("public.ecr.aws/hashicorp/consul-aws:0.1.3") // …:0.1.3@sha256:…
 */
export function pinnedImage(ref: string, opts?: pulumi.InvokeOutputOptions): pulumi.Output<string> {
  if (isPinned(ref)) return pulumi.output(ref);
  return docker
    .getRegistryImageOutput({ name: ref }, opts)
    .sha256Digest.apply((digest) => pinTo(ref, digest));
}
