import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { gcra, limitOf } from "../../src/ratelimit/gcra.js";
import { evaluate, planAddressLimits, planRequestLimits } from "../../src/ratelimit/policies.js";

const { rateLimits } = parseConfig({
  clusters: [{ name: "prod", type: "sandbox" }],
  rateLimits: [
    { name: "per-key", key: "api-key", requests: 10, perSeconds: 60 },
    { name: "per-ns", key: "namespace", requests: 2, perSeconds: 60, charge: "evictions", clusters: ["prod"] },
    { name: "per-cluster", key: "cluster", requests: 100, perSeconds: 60, clusters: ["stage-*"] },
    { name: "per-addr", key: "client-address", requests: 5, perSeconds: 1 },
  ],
});

describe("rate-limit policies", () => {
  it("charges every policy that covers the cluster, keyed per caller, namespace or cluster", () => {
    const planned = planRequestLimits(rateLimits, { callerId: "key1", cluster: "prod", namespace: "web" });
    expect(planned.map((p) => p.charge.key)).toEqual(["rl:per-key:key:key1", "rl:per-ns:ns:prod/web"]);
    expect(planRequestLimits(rateLimits, { callerId: "key1", cluster: "stage-1", namespace: "web" }).map((p) => p.policy.name)).toEqual(["per-key", "per-cluster"]);
  });

  it("keeps client-address policies apart, checked before authentication", () => {
    expect(planAddressLimits(rateLimits, "10.0.0.1").map((p) => p.charge.key)).toEqual(["rl:per-addr:addr:10.0.0.1"]);
  });

  it("reads decisions into draft-11 headers and the longest wait among the policies that denied", () => {
    const planned = planRequestLimits(rateLimits, { callerId: "key1", cluster: "prod", namespace: "web" });
    const now = 0;
    const ok = gcra(null, now, limitOf(10, 60));
    const denied = { allowed: false, tat: 0, remaining: 0, retryAfterMs: 29_001, resetAfterMs: 60_000 };
    const check = evaluate(planned, [ok, denied]);
    expect(check).toMatchObject({ allowed: false, retryAfterSeconds: 30 });
    expect(check.violated.map((p) => p.name)).toEqual(["per-ns"]);
    expect(check.headers["RateLimit-Policy"]).toBe('"per-key";q=10;w=60, "per-ns";q=2;w=60');
    expect(check.headers.RateLimit).toBe('"per-key";r=9;t=6, "per-ns";r=0;t=60');
  });
});
