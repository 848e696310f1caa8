/**
 * The program: read the stack's config (Pulumi.yaml's defaults already applied by the Pulumi CLI),
 * check every setting, build the stack, export its outputs. Nothing is registered when a setting
 * is invalid, nor by an `up` while a setting still holds a placeholder (a preview warns).
 */
import * as pulumi from "@pulumi/pulumi";
import { stackProgram } from "./program/infrastructure";

export const {
  helloUrl,
  clusterName,
  namespaceId,
  namespaceName,
  serviceDnsNames,
  images,
  consulCatalogCheck,
  consul,
} = stackProgram(pulumi.runtime.allConfig(), { dryRun: pulumi.runtime.isDryRun() });
