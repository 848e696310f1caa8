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

/** A backend to keep state in: Pulumi Cloud token, a self-managed backend URL, or a stored `pulumi login`. */
export function checkPulumiBackend(env: Env, home: string, files: FileProbe): Check<string> {
  if (env.PULUMI_ACCESS_TOKEN) return { ok: true, value: "Pulumi Cloud (PULUMI_ACCESS_TOKEN)" };
  if (env.PULUMI_BACKEND_URL) return { ok: true, value: `PULUMI_BACKEND_URL=${env.PULUMI_BACKEND_URL}` };
  const credentials = path.join(env.PULUMI_HOME || path.join(home, ".pulumi"), "credentials.json");
  const stored = files.read(credentials);
  if (stored !== undefined) {
    try {
      const current = (JSON.parse(stored) as { current?: unknown }).current;
      if (typeof current === "string" && current !== "")
        return { ok: true, value: `pulumi login ${current}` };
    } catch {
      // unreadable file: fall through to the problem below
    }
  }
  return {
    ok: false,
    problem: {
      prerequisite: "Pulumi backend",
      problem: `not logged in (no PULUMI_ACCESS_TOKEN, no PULUMI_BACKEND_URL, no current login in ${credentials})`,
      fix: "set PULUMI_ACCESS_TOKEN (Pulumi Cloud), or PULUMI_BACKEND_URL=s3://<bucket> for a self-managed backend, or run `pulumi login`",
    },
  };
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
