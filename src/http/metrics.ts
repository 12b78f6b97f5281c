import type { Outcome } from "../eviction/outcome.js";

/** What the gateway counts. Node exports it to Prometheus (http/prometheus.ts); Workers count nothing. */
export interface Metrics {
  /** One answered eviction (a batch or webhook counts each item). */
  decision(route: string, outcome: Outcome, cluster: string): void;
  /** One call to a cluster: how long it took and its status (null: no answer). */
  upstream(cluster: string, seconds: number, status: number | null): void;
  /** One request denied by a gateway rate-limit policy. */
  denied(policy: string): void;
}

export const noMetrics: Metrics = {
  decision() {},
  upstream() {},
  denied() {},
};
