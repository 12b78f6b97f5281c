import { OUTCOMES, type Outcome } from "./outcome.js";
import type { EvictionResult, FieldError, Problem } from "./result.js";

/** The problem type registered with the RateLimit fields draft, for the gateway's own limits. */
const QUOTA_EXCEEDED = "https://iana.org/assignments/http-problem-types#quota-exceeded";

/** Problems about the route or the gateway rather than an eviction: each type has one title. */
const ROUTE_PROBLEMS = {
  "no-route": "No such route",
  internal: "Internal error",
  "shutting-down": "Shutting down",
  "gateway-misconfigured": "Gateway misconfigured",
  "unknown-operation": "Unknown operation",
} as const;
export type RouteProblem = keyof typeof ROUTE_PROBLEMS;

export function problemType(outcome: Outcome): string {
  return outcome === "rate-limited" ? QUOTA_EXCEEDED : `urn:eviction-gateway:problem:${outcome}`;
}

/** The one problem builder: an eviction's result as RFC 9457 problem details. */
export function evictionProblem(result: EvictionResult, status: number, extras: { errors?: FieldError[]; extensions?: Record<string, unknown> } = {}): Problem {
  return {
    type: problemType(result.outcome),
    title: OUTCOMES[result.outcome].title,
    status,
    detail: result.message,
    ...result,
    ...(extras.errors ? { errors: extras.errors } : {}),
    ...extras.extensions,
  };
}

/** A problem about the route itself. */
export function routeProblem(kind: RouteProblem, status: number, detail: string, requestId: string): Problem {
  return { type: `urn:eviction-gateway:problem:${kind}`, title: ROUTE_PROBLEMS[kind], status, detail, requestId };
}
