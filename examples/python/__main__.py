"""Adds one discoverable Fargate service and the consul-aws sync to existing infrastructure.

The VPC, subnets, cluster, namespace and Consul come from stack config; the package's SDK is the
one `pulumi package add ../../packages/ecs-cloudmap-consul` generates.
"""
import pulumi
import pulumi_ecs_cloudmap_consul as ecs_cloudmap_consul

config = pulumi.Config()
vpc_id = config.require("vpcId")
subnet_ids = config.require_object("subnetIds")
cluster_arn = config.require("clusterArn")
execution_role_arn = config.require("executionRoleArn")
namespace_id = config.require("namespaceId")
namespace_name = config.require("namespaceName")
region = config.require("region")

web = ecs_cloudmap_consul.DiscoverableService(
    "web",
    vpc_id=vpc_id,
    subnet_ids=subnet_ids,
    cluster_arn=cluster_arn,
    cluster_name=config.require("clusterName"),
    execution_role_arn=execution_role_arn,
    namespace_id=namespace_id,
    namespace_name=namespace_name,
    service_name="web",
    image="public.ecr.aws/nginx/nginx:1.27",
    container_port=80,
    cpu=256,
    memory=512,
    desired_count=2,
    log_retention_days=30,
    region=region,
    capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
)

sync = ecs_cloudmap_consul.ConsulSync(
    "sync",
    vpc_id=vpc_id,
    subnet_ids=subnet_ids,
    cluster_arn=cluster_arn,
    execution_role_arn=execution_role_arn,
    namespace_id=namespace_id,
    namespace_arn=config.require("namespaceArn"),
    namespace_name=namespace_name,
    hosted_zone_id=config.require("hostedZoneId"),
    consul_http_addr=config.require("consulHttpAddr"),
    consul_port=8500,
    tls=False,
    token_secret_arn=config.require("consulTokenSecretArn"),
    image="public.ecr.aws/hashicorp/consul-aws:0.1.3",
    ca_init_image="public.ecr.aws/docker/library/busybox:1.36.1",
    prefixes={"inConsul": "", "inCloudMap": ""},
    log_retention_days=30,
    region=region,
)

pulumi.export("service_dns_name", web.dns_name)
