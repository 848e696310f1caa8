// The Pulumi type tokens of the resources our checks read: one table for the policy pack, the
// plan's diagram and flows, and the AWS rule tests. It lives in the pack because the pack is
// compiled and run on its own (`pulumi preview --policy-pack policy`) and can import nothing from
// outside its folder; the rest of the repository imports it from here.
export const RESOURCE_TYPES = {
  vpc: "awsx:ec2:Vpc",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  ecsService: "aws:ecs/service:Service",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  namespace: "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
  cloudMapService: "aws:servicediscovery/service:Service",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  repository: "aws:ecr/repository:Repository",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  scalingTarget: "aws:appautoscaling/target:Target",
  api: "aws:apigatewayv2/api:Api",
  vpcLink: "aws:apigatewayv2/vpcLink:VpcLink",
  integration: "aws:apigatewayv2/integration:Integration",
  stage: "aws:apigatewayv2/stage:Stage",
} as const;
