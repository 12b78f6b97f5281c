import type { GatewayConfig } from "../config/schema.js";
import type { BlockHistoryStore, Clock, ClusterRegistry, IdempotencyStore, LimiterStore, Metrics } from "./ports.js";
import type { StateGuard } from "./state-guard.js";

/** What the use cases need: the config and the ports, the store's fail mode applied by the guard. */
export interface ServiceDeps {
  config: GatewayConfig;
  clusters: ClusterRegistry;
  limits: LimiterStore;
  idempotency: IdempotencyStore;
  history: BlockHistoryStore;
  guard: StateGuard;
  metrics: Metrics;
  clock: Clock;
  random: () => number;
}
