// Adds one discoverable Fargate service and the consul-aws sync to existing infrastructure.
//
// The VPC, subnets, cluster, namespace and Consul come from stack config; the package's SDK is the
// one `pulumi package add ../../packages/ecs-cloudmap-consul` generates (it adds the replace line
// to go.mod and prints the import path).
package main

import (
	"example.com/pulumi-ecs-cloudmap-consul/sdk/go/v3/ecscloudmapconsul"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		var subnetIds []string
		cfg.RequireObject("subnetIds", &subnetIds)
		vpcId := cfg.Require("vpcId")
		clusterArn := cfg.Require("clusterArn")
		executionRoleArn := cfg.Require("executionRoleArn")
		namespaceId := cfg.Require("namespaceId")
		namespaceName := cfg.Require("namespaceName")
		region := cfg.Require("region")

		web, err := ecscloudmapconsul.NewDiscoverableService(ctx, "web", &ecscloudmapconsul.DiscoverableServiceArgs{
			VpcId:            pulumi.String(vpcId),
			SubnetIds:        pulumi.ToStringArray(subnetIds),
			ClusterArn:       pulumi.String(clusterArn),
			ClusterName:      pulumi.String(cfg.Require("clusterName")),
			ExecutionRoleArn: pulumi.String(executionRoleArn),
			NamespaceId:      pulumi.String(namespaceId),
			NamespaceName:    namespaceName,
			ServiceName:      pulumi.StringRef("web"),
			Image:            pulumi.String("public.ecr.aws/nginx/nginx:1.27"),
			ContainerPort:    80,
			Cpu:              256,
			Memory:           512,
			DesiredCount:     2,
			LogRetentionDays: 30,
			Region:           region,
			CapacityProviderStrategies: []ecscloudmapconsul.CapacityProviderStrategyItem{
				{CapacityProvider: ecscloudmapconsul.CapacityProviderFARGATE, Weight: 1, Base: 0},
			},
		})
		if err != nil {
			return err
		}

		_, err = ecscloudmapconsul.NewConsulSync(ctx, "sync", &ecscloudmapconsul.ConsulSyncArgs{
			VpcId:            pulumi.String(vpcId),
			SubnetIds:        pulumi.ToStringArray(subnetIds),
			ClusterArn:       pulumi.String(clusterArn),
			ExecutionRoleArn: pulumi.String(executionRoleArn),
			NamespaceId:      pulumi.String(namespaceId),
			NamespaceArn:     pulumi.String(cfg.Require("namespaceArn")),
			NamespaceName:    namespaceName,
			HostedZoneId:     pulumi.String(cfg.Require("hostedZoneId")),
			ConsulHttpAddr:   cfg.Require("consulHttpAddr"),
			ConsulPort:       8500,
			Tls:              false,
			TokenSecretArn:   pulumi.String(cfg.Require("consulTokenSecretArn")),
			Image:            "public.ecr.aws/hashicorp/consul-aws:0.1.3",
			CaInitImage:      "public.ecr.aws/docker/library/busybox:1.36.1",
			Prefixes:         map[string]interface{}{"inConsul": "", "inCloudMap": ""},
			LogRetentionDays: 30,
			Region:           region,
		})
		if err != nil {
			return err
		}

		ctx.Export("serviceDnsName", web.DnsName)
		return nil
	})
}
