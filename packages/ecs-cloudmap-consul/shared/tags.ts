/**
 * Tags that let a user find and cost a stack in AWS. The program's AWS provider puts `project`
 * and `stack` on every taggable resource (default tags, so they follow the stack actually
 * deployed); each component adds `component` and its caller's own tags to the children it creates.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export type Tags = Readonly<Record<string, string>>;

/** Every component's Args take these. */
export interface TaggedArgs {
  /**
   * Extra tags for every taggable resource the component creates, e.g. `{ team: "payments" }`.
   * Known values only: the provider cannot merge a value that is unknown at preview with its
   * default tags. A key the provider's default tags also set takes this value here.
   * @default none: the children carry `component` and the provider's default tags
   */
  readonly tags?: Tags;
}

/** What each taggable child of component `name` carries: its caller's tags, then `component`. */
export function componentTags(name: string, tags: Tags | undefined): Tags {
  return { ...tags, component: name };
}

/**
 * The default tags of the program's AWS provider: those of the stack's `aws:defaultTags` setting,
 * then the project and stack being deployed (which the setting cannot override).
 */
export function providerDefaultTags(configured: Tags | undefined): Tags {
  return { ...configured, project: pulumi.getProject(), stack: pulumi.getStack() };
}

/** The `aws:` settings the program's explicit provider reads; the default provider would read them all. */
export const PROVIDER_CONFIG_KEYS: readonly string[] = ["aws:region", "aws:defaultTags"];

/**
 * `aws:` settings an explicit provider would silently ignore (`aws:profile`, `aws:assumeRoles`,
 * `aws:allowedAccountIds`, …): a deploy must not go to another account than the one they name.
 */
export function ignoredProviderSettings(configKeys: readonly string[]): string[] {
  return configKeys.filter((key) => key.startsWith("aws:") && !PROVIDER_CONFIG_KEYS.includes(key)).sort();
}

/** `aws:defaultTags` as the CLI hands it over (JSON text), checked. */
function configuredDefaultTags(text: string | undefined): Tags | undefined {
  if (text === undefined) return undefined;
  const parsed: unknown = JSON.parse(text);
  const tags = (parsed as { tags?: unknown } | null)?.tags;
  const valid =
    typeof tags === "object" && tags !== null && Object.values(tags).every((v) => typeof v === "string");
  if (!valid) throw new Error(`aws:defaultTags: expected {"tags": {"<key>": "<value>", ...}}, got ${text}`);
  return tags as Tags;
}

/**
 * The program's AWS provider, to hand every component (`providers: [provider]`). Its default
 * tags name the stack actually deployed (an ephemeral stack made from dev's settings too), which a
 * fixed `aws:defaultTags` in a stack file cannot. An explicit provider reads none of the stack's
 * `aws:` settings by itself: it takes the region and `aws:defaultTags` from here and refuses the
 * others rather than ignore them; credentials come from the environment.
 * @param config every setting of the stack, `<namespace>:<key>` -> text (`pulumi.runtime.allConfig()`)
 */
export function createTaggingProvider(
  name: string,
  region: string,
  config: Readonly<Record<string, string>>,
): aws.Provider {
  const ignored = ignoredProviderSettings(Object.keys(config));
  if (ignored.length > 0) {
    throw new Error(
      `${ignored.join(", ")}: this program's AWS provider reads only ${PROVIDER_CONFIG_KEYS.join(" and ")}; ` +
        "set credentials in the environment (AWS_PROFILE, SSO, a CI role) and remove these settings",
    );
  }
  return new aws.Provider(name, {
    region: region as aws.Region,
    defaultTags: { tags: providerDefaultTags(configuredDefaultTags(config["aws:defaultTags"])) },
  });
}
