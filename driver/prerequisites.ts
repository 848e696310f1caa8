import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { version as sdkVersion } from "@pulumi/pulumi/version";
import type { Env } from "./args";
import { DriverError, ExitCode } from "./errors";

/** One missing prerequisite: what is wrong and what to install or set. */
export interface Problem {
  prerequisite: string;
  problem: string;
  fix: string;
}

export type Check<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** Cheap, local views of the file system, so the checks stay pure and testable. */
export interface FileProbe {
  exists(file: string): boolean;
  read(file: string): string | undefined;
}

export const realFiles: FileProbe = {
  exists: (file) => fs.existsSync(file),
  read: (file) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch {
      return undefined;
    }
  },
};

export function formatProblems(problems: readonly Problem[]): string {
  return [
    `missing prerequisite${problems.length > 1 ? "s" : ""} (nothing was touched):`,
    ...problems.map((p) => `  - ${p.prerequisite}: ${p.problem}\n    fix: ${p.fix}`),
  ].join("\n");
}

/**
 * The Pulumi CLI at the SDK's own version (CLI and SDK ship in lockstep, and package.json pins the
 * SDK exactly), installed by the SDK into ~/.pulumi/versions/<version> on first use.
 */
export async function installPulumiCli(
  home: string = os.homedir(),
): Promise<{ pulumi: PulumiCommand; version: string; root: string }> {
  const version = sdkVersion;
  const root = path.join(home, ".pulumi", "versions", version);
  try {
    // No `version`: it defaults to the SDK's, the one pinned.
    return { pulumi: await PulumiCommand.install({ root }), version, root };
  } catch (err) {
    throw new DriverError(
      formatProblems([
        {
          prerequisite: "Pulumi CLI",
          problem: `could not install v${version} into ${root}: ${(err as Error).message.split("\n")[0]}`,
          fix: `install it there: curl -fsSL https://get.pulumi.com | sh -s -- --version ${version} --install-root ${root} --no-edit-path`,
        },
      ]),
      ExitCode.MissingPrerequisite,
    );
  }
}

/** Where state lives: Pulumi Cloud (has organizations, manages secrets) or a self-managed bucket. */
export interface Backend {
  kind: "cloud" | "self-managed";
  url: string;
  /** How it was chosen, for the run log. */
  via: string;
}

const CLOUD_URL = "https://api.pulumi.com";
const SELF_MANAGED = /^(s3|gs|azblob|file):\/\//;

/**
 * The backend the CLI will use, the way it picks one: PULUMI_BACKEND_URL, else the stored `pulumi
 * login`, else Pulumi Cloud when PULUMI_ACCESS_TOKEN is set. Pulumi Cloud needs a token (the variable
 * or a stored one for that URL); a self-managed backend needs what reaches its bucket, checked with
 * the other prerequisites (checkBackendAccess). Empty variables count as unset, as CI passes them.
 */
export function checkPulumiBackend(env: Env, home: string, files: FileProbe): Check<Backend> {
  const credentials = path.join(env.PULUMI_HOME || path.join(home, ".pulumi"), "credentials.json");
  const stored = readStoredLogin(files.read(credentials));
  const url = env.PULUMI_BACKEND_URL || stored.current || (env.PULUMI_ACCESS_TOKEN ? CLOUD_URL : undefined);
  const via = env.PULUMI_BACKEND_URL
    ? "PULUMI_BACKEND_URL"
    : stored.current
      ? `pulumi login (${credentials})`
      : "";
  if (url === undefined) {
    return {
      ok: false,
      problem: {
        prerequisite: "Pulumi backend",
        problem: `none chosen (no PULUMI_BACKEND_URL, no PULUMI_ACCESS_TOKEN, no current login in ${credentials})`,
        fix: "for Pulumi Cloud set PULUMI_ACCESS_TOKEN; for a self-managed backend set PULUMI_BACKEND_URL=s3://<bucket>?region=<region> (docs/driver-and-ci.md, 'From a fresh repository', step 3); or run `pulumi login`",
      },
    };
  }
  if (SELF_MANAGED.test(url)) return { ok: true, value: { kind: "self-managed", url, via } };
  if (!/^https?:\/\//.test(url)) {
    return {
      ok: false,
      problem: {
        prerequisite: "Pulumi backend",
        problem: `PULUMI_BACKEND_URL "${url}" is neither a Pulumi Cloud URL (https://) nor a bucket (s3://, gs://, azblob://, file://)`,
        fix: "set PULUMI_BACKEND_URL=s3://<bucket>?region=<region>, or unset it and set PULUMI_ACCESS_TOKEN for Pulumi Cloud",
      },
    };
  }
  if (env.PULUMI_ACCESS_TOKEN) {
    return { ok: true, value: { kind: "cloud", url, via: via || "PULUMI_ACCESS_TOKEN" } };
  }
  if (stored.tokens[url]) return { ok: true, value: { kind: "cloud", url, via: via || "pulumi login" } };
  return {
    ok: false,
    problem: {
      prerequisite: "Pulumi backend",
      problem: `Pulumi Cloud (${url}${via ? `, from ${via}` : ""}) is chosen but there is no PULUMI_ACCESS_TOKEN and no stored token for it`,
      fix: `set PULUMI_ACCESS_TOKEN (in CI: the secret PULUMI_ACCESS_TOKEN), or run \`pulumi login ${url}\`; for a self-managed backend set PULUMI_BACKEND_URL=s3://<bucket>?region=<region> instead`,
    },
  };
}

function readStoredLogin(text: string | undefined): { current?: string; tokens: Record<string, unknown> } {
  if (text === undefined) return { tokens: {} };
  try {
    const doc = JSON.parse(text) as { current?: unknown; accessTokens?: unknown };
    return {
      current: typeof doc.current === "string" && doc.current !== "" ? doc.current : undefined,
      tokens:
        doc.accessTokens && typeof doc.accessTokens === "object"
          ? (doc.accessTokens as Record<string, unknown>)
          : {},
    };
  } catch {
    return { tokens: {} }; // unreadable: as if there were no stored login
  }
}

/** What a stack's settings file says about its secrets (`secretsprovider:`, `encryptionsalt:`). */
export interface StackSecrets {
  secretsProvider?: string;
  encryptionSalt?: string;
}

/**
 * What a self-managed backend needs beyond the bucket: AWS credentials for an s3:// bucket, and a
 * secrets provider. An existing stack names its provider in its settings file (awskms://… or a
 * passphrase salt); a stack being created takes PULUMI_SECRETS_PROVIDER (awskms://…), or a passphrase.
 * Pulumi Cloud manages secrets itself unless the stack file names another provider.
 */
export function checkBackendAccess(
  backend: Backend,
  stack: { name: string; file: string; secrets: StackSecrets; creating: boolean },
  env: Env,
  aws: Check<string>,
): Problem[] {
  const problems: Problem[] = [];
  if (backend.url.startsWith("s3://") && !aws.ok) {
    problems.push({
      prerequisite: "Pulumi backend",
      problem: `PULUMI_BACKEND_URL=${backend.url} keeps state in S3, which needs AWS credentials, and none were found`,
      fix: aws.problem.fix,
    });
  }
  const passphrase = Boolean(env.PULUMI_CONFIG_PASSPHRASE || env.PULUMI_CONFIG_PASSPHRASE_FILE);
  const { secretsProvider, encryptionSalt } = stack.secrets;
  if (secretsProvider?.startsWith("awskms://") && !aws.ok && !problems.length) {
    problems.push({
      prerequisite: "secrets provider",
      problem: `${stack.file} encrypts secrets with ${secretsProvider}, which needs AWS credentials, and none were found`,
      fix: aws.problem.fix,
    });
  }
  if (backend.kind === "cloud") return problems;
  // A new stack gets its own key from PULUMI_SECRETS_PROVIDER, whatever the file it copies names.
  if (stack.creating) {
    if (!env.PULUMI_SECRETS_PROVIDER && !passphrase) {
      problems.push({
        prerequisite: "secrets provider",
        problem: `creating ${stack.name} on ${backend.url} needs a secrets provider, and neither PULUMI_SECRETS_PROVIDER nor PULUMI_CONFIG_PASSPHRASE is set`,
        fix: "set PULUMI_SECRETS_PROVIDER=awskms://alias/<key-alias>?region=<region> (docs/driver-and-ci.md, 'From a fresh repository', step 3, creates the key)",
      });
    }
    return problems;
  }
  if (secretsProvider) return problems;
  if (!passphrase) {
    problems.push({
      prerequisite: "secrets provider",
      problem: encryptionSalt
        ? `${stack.file} encrypts secrets with a passphrase, and PULUMI_CONFIG_PASSPHRASE is not set`
        : `${stack.file} names no secrets provider for the self-managed backend ${backend.url}`,
      fix: encryptionSalt
        ? "set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)"
        : `create the stack once with PULUMI_SECRETS_PROVIDER=awskms://…: npm run driver -- ${stack.name} init (it writes secretsprovider: into ${stack.file}; commit it)`,
    });
  }
  return problems;
}

/**
 * Looks for AWS credentials the way the SDK's default chain would find them, without any network call:
 * env keys, web identity token (OIDC in CI), container credentials, a profile in the shared files,
 * and an EC2 instance profile guessed from the machine's DMI vendor string.
 */
export function checkAwsCredentials(env: Env, home: string, files: FileProbe): Check<string> {
  const fail = (problem: string, fix: string): Check<string> => ({
    ok: false,
    problem: { prerequisite: "AWS credentials", problem, fix },
  });

  if (env.AWS_ACCESS_KEY_ID || env.AWS_SECRET_ACCESS_KEY) {
    if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) {
      const missing = env.AWS_ACCESS_KEY_ID ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
      return fail(
        `${missing} is not set but its pair is`,
        `set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither`,
      );
    }
    return { ok: true, value: "environment keys (AWS_ACCESS_KEY_ID)" };
  }
  if (env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    if (!env.AWS_ROLE_ARN)
      return fail(
        "AWS_WEB_IDENTITY_TOKEN_FILE is set without AWS_ROLE_ARN",
        "set AWS_ROLE_ARN to the role to assume",
      );
    if (!files.exists(env.AWS_WEB_IDENTITY_TOKEN_FILE)) {
      return fail(
        `web identity token file ${env.AWS_WEB_IDENTITY_TOKEN_FILE} does not exist`,
        "check AWS_WEB_IDENTITY_TOKEN_FILE",
      );
    }
    return { ok: true, value: `web identity (OIDC) for ${env.AWS_ROLE_ARN}` };
  }
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    return { ok: true, value: "container credentials (ECS task role / CodeBuild)" };
  }

  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || "default";
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE || path.join(home, ".aws", "config");
  const inCredentials = iniSections(files.read(credentialsFile)).includes(profile);
  const configSections = iniSections(files.read(configFile));
  const inConfig =
    configSections.includes(profile === "default" ? "default" : `profile ${profile}`) ||
    configSections.includes(profile);
  if (inCredentials || inConfig) {
    return { ok: true, value: `profile "${profile}" (${inCredentials ? credentialsFile : configFile})` };
  }
  if (env.AWS_PROFILE) {
    return fail(
      `AWS_PROFILE=${env.AWS_PROFILE} but no [${env.AWS_PROFILE}] in ${credentialsFile} nor [profile ${env.AWS_PROFILE}] in ${configFile}`,
      `run \`aws configure --profile ${env.AWS_PROFILE}\` (or \`aws configure sso\`), or unset AWS_PROFILE`,
    );
  }
  const vendor = files.read("/sys/devices/virtual/dmi/id/sys_vendor") ?? "";
  if (/amazon ec2/i.test(vendor) && env.AWS_EC2_METADATA_DISABLED !== "true") {
    return { ok: true, value: "EC2 instance profile (assumed from the instance metadata service)" };
  }
  return fail(
    "none found (no AWS_ACCESS_KEY_ID, no AWS_WEB_IDENTITY_TOKEN_FILE, no container credentials, no profile in ~/.aws)",
    "in CI assume a role with aws-actions/configure-aws-credentials (OIDC); locally run `aws configure sso` or set AWS_PROFILE",
  );
}

/** Section names of an INI file such as ~/.aws/config (`[profile x]`) or ~/.aws/credentials (`[x]`). */
export function iniSections(text: string | undefined): string[] {
  if (!text) return [];
  const sections: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (match) sections.push(match[1].trim().replace(/\s+/g, " "));
  }
  return sections;
}
