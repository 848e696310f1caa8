/**
 * ECS container definitions as plain data. Environment and secrets are separate
 * maps so a secret can never end up in `environment` by accident.
 */

export interface ContainerSpec<T> {
  readonly name: string;
  /** Image reference; app images are passed by digest. */
  readonly image: T;
  readonly essential?: boolean;
  readonly containerPort?: number;
  /** Names the port mapping (Service Connect refers to ports by name) and sets its protocol. Default: unnamed. */
  readonly namedPort?: { readonly name: string; readonly appProtocol: "http" | "http2" | "grpc" };
  /** Replaces the image's entrypoint. Default: the image's. */
  readonly entryPoint?: readonly string[];
  readonly command?: readonly T[];
  readonly environment?: Readonly<Record<string, T>>;
  /** Variable name -> Secrets Manager / SSM ARN, injected by ECS at start. */
  readonly secrets?: Readonly<Record<string, T>>;
  /** Exec-form health check command, e.g. ["CMD", "node", "/app/dist/healthcheck.js"]. */
  readonly healthCheck?: readonly string[];
  readonly stopTimeoutSeconds?: number;
  /** Hard memory limit of this container, MiB (ECS kills it above). Default: the task's memory only. */
  readonly memory?: number;
  /** Mount the root filesystem read-only. */
  readonly readonlyRootFilesystem?: boolean;
  /** `uid:gid` (or a user name) the container runs as, overriding the image's USER. */
  readonly user?: string;
  readonly log: { readonly group: T; readonly region: string; readonly streamPrefix: string };
  readonly mountPoints?: readonly {
    readonly sourceVolume: string;
    readonly containerPath: string;
    readonly readOnly: boolean;
  }[];
  readonly dependsOn?: readonly {
    readonly containerName: string;
    readonly condition: "START" | "COMPLETE" | "SUCCESS" | "HEALTHY";
  }[];
}

/** The app health check all our containers share (see the app contract). */
export const APP_HEALTH_CHECK: readonly string[] = ["CMD", "node", "/app/dist/healthcheck.js"];

/**
 * The app images' unprivileged `node` user, by number so it holds whatever the base image names it.
 * The apps write nothing to disk, so their root filesystem can be read-only (Fargate has no tmpfs).
 */
export const APP_USER = "1000:1000";

/** awslogs buffer for non-blocking mode: a slow CloudWatch must not stall the app's stdout. */
export const LOG_BUFFER_SIZE = "25m";

function sortedPairs<T>(record: Readonly<Record<string, T>> | undefined): [string, T][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Builds one entry of `containerDefinitions` (stable key order for stable diffs). */
export function containerDefinition<T>(spec: ContainerSpec<T>): Record<string, unknown> {
  const definition: Record<string, unknown> = {
    name: spec.name,
    image: spec.image,
    essential: spec.essential ?? true,
    environment: sortedPairs(spec.environment).map(([name, value]) => ({ name, value })),
    secrets: sortedPairs(spec.secrets).map(([name, valueFrom]) => ({ name, valueFrom })),
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": spec.log.group,
        "awslogs-region": spec.log.region,
        "awslogs-stream-prefix": spec.log.streamPrefix,
        mode: "non-blocking",
        "max-buffer-size": LOG_BUFFER_SIZE,
      },
    },
    portMappings:
      spec.containerPort === undefined
        ? []
        : [
            {
              ...(spec.namedPort
                ? { name: spec.namedPort.name, appProtocol: spec.namedPort.appProtocol }
                : {}),
              containerPort: spec.containerPort,
              hostPort: spec.containerPort,
              protocol: "tcp",
            },
          ],
    mountPoints: spec.mountPoints ?? [],
    volumesFrom: [],
  };
  if (spec.entryPoint) definition.entryPoint = spec.entryPoint;
  if (spec.command) definition.command = spec.command;
  if (spec.healthCheck) {
    definition.healthCheck = {
      command: spec.healthCheck,
      interval: 10,
      timeout: 5,
      retries: 3,
      startPeriod: 10,
    };
  }
  if (spec.stopTimeoutSeconds !== undefined) definition.stopTimeout = spec.stopTimeoutSeconds;
  if (spec.memory !== undefined) definition.memory = spec.memory;
  if (spec.dependsOn) definition.dependsOn = spec.dependsOn;
  if (spec.readonlyRootFilesystem !== undefined)
    definition.readonlyRootFilesystem = spec.readonlyRootFilesystem;
  if (spec.user !== undefined) definition.user = spec.user;
  return definition;
}
