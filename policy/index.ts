// The policy pack's entry file: `pulumi preview --policy-pack policy` (the driver passes it).
import { PolicyPack } from "@pulumi/policy";
import { RULES } from "./rules";

new PolicyPack("ecs-cloudmap-consul", { policies: [...RULES] });
