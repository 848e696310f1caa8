import * as aws from "@pulumi/aws";
import {
  pinnedImage,
  componentTags,
  TaggedArgs,
  ArgProblem,
  assertValidArgs,
  check,
  imageByDigest,
  integerIn,
  matches,
} from "ecs-cloudmap-consul";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface AppImageArgs extends TaggedArgs {
  /**
   * Directory under apps/ holding the app's Dockerfile.
   * @default required
   * @example "hello"
   */
  readonly app: string;
  /**
   * BASE_IMAGE build argument, an image reference registry/repo:tag, @sha256 digest or both. A
   * reference without a digest is resolved to its current digest at deploy time
   * (`docker.getRegistryImage`), so what builds is always a digest; the tag stays as a label.
   * @default undefined (the Dockerfile's own default, pinned by digest)
   * @example "public.ecr.aws/docker/library/node:24-bookworm-slim"
   */
  readonly baseImage?: string;
  /**
   * Images the lifecycle policy keeps (1-1000).
   * @default 10
   */
  readonly retainCount?: number;
  /**
   * Let `pulumi destroy` delete a repository that still holds images.
   * @default false (keep them)
   */
  readonly forceDelete?: boolean;
  /**
   * Tag pushed with the image (Docker's tag grammar); a label only, deployments use the digest.
   * @default the stack name
   * @example "3f9c2ab"
   */
  readonly tag?: string;
  /**
   * An image already built and pushed, by digest: tasks run it and nothing is built. What dev tested
   * is then what prod runs (CI builds once per commit and passes the same digest to every stack).
   * The repository is still created, so switching a stack to prebuilt images deletes nothing.
   * @default undefined (build apps/<app>)
   * @example "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-cloudmap-consul/hello@sha256:<64 hex>"
   */
  readonly image?: string;
}

// #region argument checks
const IMAGE_REF =
  /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64})$/;
/** Docker tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** What is wrong with AppImage's arguments; empty when nothing is. */
export function appImageArgProblems(
  args: Pick<AppImageArgs, "baseImage" | "retainCount" | "tag" | "image">,
): ArgProblem[] {
  return [
    ...check("image", args.image, imageByDigest),
    ...check(
      "baseImage",
      args.baseImage,
      matches(IMAGE_REF, "an image reference registry/repo:tag, registry/repo@sha256:<64 hex> or both"),
    ),
    ...check("retainCount", args.retainCount, integerIn(1, 1000)),
    ...check(
      "tag",
      args.tag,
      matches(IMAGE_TAG, "a Docker tag (letters, digits, _ . -; at most 128, not starting with . or -)"),
    ),
  ];
}
// #endregion

/** What `docker build` gets for an app: paths relative to the program's directory (the repo root). */
export interface AppImageBuildSpec {
  readonly context: string;
  readonly dockerfile: string;
  readonly platform: "linux/amd64";
  readonly args: Readonly<Record<string, string>>;
}

/**
 * Apps built from apps/ rather than their own folder: the forwarder compiles the discovery library
 * where it lives (apps/hello/src/discovery); apps/.dockerignore admits only what it copies.
 */
const BUILT_FROM_APPS_DIR: ReadonlySet<string> = new Set(["forwarder"]);

/**
 * The build of apps/<app>, as AppImage hands it to docker.Image; `npm run images` builds from the
 * same spec. Fargate runs x86_64 here, so the platform is fixed (Apple Silicon would build arm64).
 */
export function appImageBuild(app: string, baseImage?: string): AppImageBuildSpec {
  return {
    context: BUILT_FROM_APPS_DIR.has(app) ? "apps" : `apps/${app}`,
    dockerfile: `apps/${app}/Dockerfile`,
    platform: "linux/amd64",
    args: baseImage ? { BASE_IMAGE: baseImage } : {},
  };
}

/** ECR lifecycle rule that expires all but the newest `count` images. */
export function keepLastImagesPolicy(count: number): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Keep the last ${count} images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: count },
        action: { type: "expire" },
      },
    ],
  });
}

/** ECR repository plus an image built from apps/<app> for linux/amd64 and pushed to it. */
export class AppImage extends pulumi.ComponentResource {
  public readonly repositoryUrl: pulumi.Output<string>;
  /** `<repository>@sha256:<digest>`: what task definitions run. */
  public readonly imageDigestRef: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    assertValidArgs("AppImage", name, appImageArgProblems(args));
    super("ecs-cloudmap-consul:appImage:AppImage", name, {}, opts);

    // Tags stay MUTABLE: tasks pin the digest, so a moved tag cannot change what runs, and
    // IMMUTABLE would fail every re-push of the stack's tag.
    const repository = new aws.ecr.Repository(
      `${name}-repo`,
      {
        imageScanningConfiguration: { scanOnPush: true },
        imageTagMutability: "MUTABLE",
        forceDelete: args.forceDelete ?? false,
        tags: componentTags(name, args.tags),
      },
      { parent: this },
    );
    new aws.ecr.LifecyclePolicy(
      `${name}-lifecycle`,
      { repository: repository.name, policy: keepLastImagesPolicy(args.retainCount ?? 10) },
      { parent: this },
    );

    this.repositoryUrl = repository.repositoryUrl;
    if (args.image !== undefined) {
      this.imageDigestRef = pulumi.output(args.image);
      this.registerOutputs({ repositoryUrl: this.repositoryUrl, imageDigestRef: this.imageDigestRef });
      return;
    }

    const token = aws.ecr.getAuthorizationTokenOutput(
      { registryId: repository.registryId },
      { parent: this },
    );
    // What builds is a digest: a tag is resolved through the registry, as for the stack's other images.
    const baseImage: pulumi.Output<string | undefined> =
      args.baseImage === undefined ? pulumi.output(undefined) : pinnedImage(args.baseImage, { parent: this });
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: pulumi.interpolate`${repository.repositoryUrl}:${args.tag ?? pulumi.getStack()}`,
        build: baseImage.apply((base) => appImageBuild(args.app, base)),
        registry: {
          server: repository.repositoryUrl,
          username: token.userName,
          password: pulumi.secret(token.password),
        },
      },
      { parent: this },
    );

    this.imageDigestRef = image.repoDigest;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, imageDigestRef: this.imageDigestRef });
  }
}
