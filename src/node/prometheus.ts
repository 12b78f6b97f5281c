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
  // Each label set's child is looked up once and kept: prom-client otherwise sorts and joins the
  // labels on every call. The sets are few (routes, outcomes, registered clusters, statuses, policies).
  const decisionOf = children((k: string[]) => decisions.labels(...(k as [string, string, string])));
  const upstreamOf = children((k: string[]) => upstream.labels(...(k as [string, string])));
  const deniedOf = children((k: string[]) => denied.labels(k[0]!));
  return {
    registry,
    decision: (route, outcome, cluster) => decisionOf([route, outcome, cluster]).inc(),
    upstream: (cluster, seconds, status) => upstreamOf([cluster, status === null ? "none" : String(status)]).observe(seconds),
    denied: (policy) => deniedOf([policy]).inc(),
  };
}

/** A cache of metric children by label values (joined with a separator no label value holds). */
function children<T>(make: (labels: string[]) => T): (labels: string[]) => T {
  const cache = new Map<string, T>();
  return (labels) => {
    const key = labels.join("\u0000");
    let child = cache.get(key);
    if (child === undefined) cache.set(key, (child = make(labels)));
    return child;
  };
}
