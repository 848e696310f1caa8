/** The capacity settings this program offers for app services. */
export const CAPACITY_STRATEGIES = ["ondemand", "spot", "mixed"] as const;
export type CapacityStrategy = (typeof CAPACITY_STRATEGIES)[number];

export interface CapacityProviderStrategyItem {
  readonly capacityProvider: "FARGATE" | "FARGATE_SPOT";
  readonly weight: number;
  readonly base: number;
}

/**
 * ECS capacity-provider strategy for a setting. `mixed` keeps one task on
 * on-demand capacity so a Spot reclaim never takes the whole service down.
 */
export function capacityProviderStrategy(strategy: CapacityStrategy): CapacityProviderStrategyItem[] {
  switch (strategy) {
    case "ondemand":
      return [{ capacityProvider: "FARGATE", weight: 1, base: 0 }];
    case "spot":
      return [{ capacityProvider: "FARGATE_SPOT", weight: 1, base: 0 }];
    case "mixed":
      return [
        { capacityProvider: "FARGATE", weight: 1, base: 1 },
        { capacityProvider: "FARGATE_SPOT", weight: 3, base: 0 },
      ];
  }
}
