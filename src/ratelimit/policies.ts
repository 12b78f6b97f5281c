import { globMatch } from "../config/glob.js";
import type { RateLimitPolicy } from "../config/schema.js";
import { limitOf, type GcraDecision, type LimitCharge } from "./gcra.js";

export interface LimitSubject {
  callerId: string;
  cluster: string;
  namespace: string;
  /** A dry run can never evict, so it holds no reservation of an evictions-only policy. */
  dryRun?: boolean;
}

export interface PlannedCharge {
  policy: RateLimitPolicy;
  charge: LimitCharge;
}

export interface LimitCheck {
  allowed: boolean;
  /** The policies that denied. */
  violated: RateLimitPolicy[];
  /** The exact wait until every violated policy has a token free. */
  retryAfterSeconds: number;
  /** IETF draft-ietf-httpapi-ratelimit-headers-11 fields, ready to send. */
  headers: Record<string, string>;
}

/**
 * The charges one eviction makes: every policy that applies to its cluster, except client-address
 * ones, and except evictions-only ones for a dry run (a reservation it could only give back, while
 * holding a real eviction's place).
 */
export function planRequestLimits(policies: RateLimitPolicy[], s: LimitSubject): PlannedCharge[] {
  return policies
    .filter((p) => p.key !== "client-address" && !(s.dryRun && p.charge === "evictions") && (!p.clusters || p.clusters.some((g) => globMatch(g, s.cluster))))
    .map((policy) => ({ policy, charge: { key: keyFor(policy, s), limit: limitOf(policy.requests, policy.perSeconds, policy.burst) } }));
}

/** The charges made per client address, before authentication. */
export function planAddressLimits(policies: RateLimitPolicy[], address: string): PlannedCharge[] {
  return policies
    .filter((p) => p.key === "client-address")
    .map((policy) => ({ policy, charge: { key: `rl:${policy.name}:addr:${address}`, limit: limitOf(policy.requests, policy.perSeconds, policy.burst) } }));
}

function keyFor(policy: RateLimitPolicy, s: LimitSubject): string {
  switch (policy.key) {
    case "api-key":
      return `rl:${policy.name}:key:${s.callerId}`;
    case "cluster":
      return `rl:${policy.name}:cluster:${s.cluster}`;
    default:
      return `rl:${policy.name}:ns:${s.cluster}/${s.namespace}`;
  }
}

/** Reads the store's decisions into one answer and its headers. */
export function evaluate(planned: PlannedCharge[], decisions: GcraDecision[]): LimitCheck {
  const policy: string[] = [];
  const state: string[] = [];
  const violated: RateLimitPolicy[] = [];
  let waitMs = 0;
  planned.forEach(({ policy: p }, i) => {
    const d = decisions[i];
    if (!d) return;
    policy.push(`"${p.name}";q=${p.requests};w=${p.perSeconds}`);
    state.push(`"${p.name}";r=${d.remaining};t=${Math.ceil(d.resetAfterMs / 1000)}`);
    if (!d.allowed) {
      violated.push(p);
      waitMs = Math.max(waitMs, d.retryAfterMs);
    }
  });
  return {
    allowed: violated.length === 0,
    violated,
    retryAfterSeconds: violated.length ? Math.max(1, Math.ceil(waitMs / 1000)) : 0,
    headers: policy.length ? { "RateLimit-Policy": policy.join(", "), RateLimit: state.join(", ") } : {},
  };
}
