import { globMatch } from "../config/glob.js";
import type { RateLimitPolicy } from "../config/schema.js";
import { limitOf } from "./gcra.js";
import type { LimiterStore } from "./store.js";

export interface LimitSubject {
  callerId: string;
  cluster: string;
  namespace: string;
}

export interface LimitCheck {
  allowed: boolean;
  /** The policy that denied, if one did. */
  violated: RateLimitPolicy | null;
  retryAfterSeconds: number;
  /** IETF draft-ietf-httpapi-ratelimit-headers-11 fields, ready to send. */
  headers: { "RateLimit-Policy": string; RateLimit: string } | null;
}

function keyFor(policy: RateLimitPolicy, s: LimitSubject): string {
  switch (policy.key) {
    case "api-key":
      return `rl:${policy.name}:key:${s.callerId}`;
    case "cluster":
      return `rl:${policy.name}:cluster:${s.cluster}`;
    case "namespace":
      return `rl:${policy.name}:ns:${s.cluster}/${s.namespace}`;
  }
}

/** Checks every policy that applies to the cluster, in order, and stops at the first that denies. */
export async function checkLimits(store: LimiterStore, all: RateLimitPolicy[], subject: LimitSubject, now: number): Promise<LimitCheck> {
  const policies = all.filter((p) => !p.clusters || p.clusters.some((g) => globMatch(g, subject.cluster)));
  if (policies.length === 0) return { allowed: true, violated: null, retryAfterSeconds: 0, headers: null };
  const policy: string[] = [];
  const state: string[] = [];
  for (const p of policies) {
    const decision = await store.take(keyFor(p, subject), limitOf(p.requests, p.perSeconds, p.burst), now);
    policy.push(`"${p.name}";q=${p.requests};w=${p.perSeconds}`);
    state.push(`"${p.name}";r=${decision.remaining};t=${Math.ceil(decision.resetAfterMs / 1000)}`);
    if (!decision.allowed) {
      return {
        allowed: false,
        violated: p,
        retryAfterSeconds: Math.max(1, Math.ceil(decision.retryAfterMs / 1000)),
        headers: { "RateLimit-Policy": policy.join(", "), RateLimit: state.join(", ") },
      };
    }
  }
  return { allowed: true, violated: null, retryAfterSeconds: 0, headers: { "RateLimit-Policy": policy.join(", "), RateLimit: state.join(", ") } };
}
