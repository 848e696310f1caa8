/** The capacity settings this program offers for app services. */
export const CAPACITY_STRATEGIES = ["ondemand", "spot", "mixed"] as const;
export type CapacityStrategy = (typeof CAPACITY_STRATEGIES)[number];

/** The Fargate capacity providers (an enum in the package schema). */
export const CapacityProvider = { FARGATE: "FARGATE", FARGATE_SPOT: "FARGATE_SPOT" } as const;
export type CapacityProvider = (typeof CapacityProvider)[keyof typeof CapacityProvider];

/** One entry of an ECS capacity-provider strategy. */
export interface CapacityProviderStrategyItem {
  /** Where the tasks run: on-demand Fargate or Fargate Spot. */
  readonly capacityProvider: CapacityProvider;
  /** Relative share of the tasks beyond `base`. */
  readonly weight: number;
  /** Tasks placed here first, before the weights apply. */
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
