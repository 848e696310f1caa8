/**
 * The program: read the stack's config (Pulumi.yaml's defaults already applied by the Pulumi CLI),
 * check every setting, build the stack, export its outputs. Nothing is registered when a setting
 * is invalid.
 */
import * as pulumi from "@pulumi/pulumi";
import { createInfrastructure, settingsFrom } from "./components/infrastructure";

export const {
  helloUrl,
  clusterName,
  namespaceId,
  namespaceName,
  serviceDnsNames,
  images,
  consulCatalogCheck,
  consul,
} = createInfrastructure(settingsFrom(pulumi.runtime.allConfig()));
