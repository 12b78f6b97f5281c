import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Metrics } from "../service/ports.js";

const MISNAMED_DEFAULT_GAUGES = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];

/** Node: the gateway's metrics in the Prometheus text format, one registry per gateway. */
export function prometheusMetrics(): Metrics & { registry: Registry } {
  const registry = new Registry();
  // Default metrics keep the names prom-client gives them (process_cpu_seconds_total, nodejs_…), as dashboards expect.
  collectDefaultMetrics({ register: registry });
  // Three of them are gauges named _total, which Prometheus reserves for counters (promtool check
  // metrics refuses them); each is the sum of a by-type gauge that stays (nodejs_active_handles, …).
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name);
  const decisions = new Counter({
    name: "egw_evictions_total",
    help: "Answered eviction requests, by route, outcome and cluster.",
    labelNames: ["route", "outcome", "cluster"] as const,
    registers: [registry],
  });
  const upstream = new Histogram({
    name: "egw_upstream_request_duration_seconds",
    help: "Time to the API server's answer, by cluster and status (none: no answer).",
    labelNames: ["cluster", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const denied = new Counter({
    name: "egw_rate_limit_denials_total",
    help: "Requests denied by the gateway's own rate limits, by policy.",
    labelNames: ["policy"] as const,
    registers: [registry],
  });
  return {
    registry,
    decision: (route, outcome, cluster) => decisions.inc({ route, outcome, cluster }),
    upstream: (cluster, seconds, status) => upstream.observe({ cluster, status: status === null ? "none" : String(status) }, seconds),
    denied: (policy) => denied.inc({ policy }),
  };
}
