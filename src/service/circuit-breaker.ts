import type { UpstreamReply } from "../eviction/upstream.js";
import type { Clock, ClusterTransport } from "./ports.js";

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownSeconds: number;
}

/**
 * One cluster's circuit: closed until `failureThreshold` consecutive failures, then open for
 * `cooldownSeconds` (answering at once, without calling), then half-open: one probe goes
 * through, and its result closes or reopens the circuit.
 */
export class CircuitBreaker {
  private state: "closed" | "open" | "half-open" = "closed";
  private failures = 0;
  private openedAt = 0;

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly clock: Clock,
  ) {}

  /** Null: go ahead. A number: the seconds until a probe may go. */
  admit(): number | null {
    if (this.state === "closed") return null;
    const waitMs = this.openedAt + this.policy.cooldownSeconds * 1000 - this.clock.now();
    if (this.state === "open" && waitMs <= 0) {
      this.state = "half-open";
      return null; // this caller is the probe
    }
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  record(failed: boolean): void {
    if (!failed) {
      this.state = "closed";
      this.failures = 0;
      return;
    }
    this.failures++;
    if (this.state === "half-open" || this.failures >= this.policy.failureThreshold) {
      this.state = "open";
      this.openedAt = this.clock.now();
    }
  }
}

/** No usable answer: nothing came back, or a gateway or overload error, or a 500 that is not the multi-budget one. */
export function isFailure(reply: UpstreamReply): boolean {
  if (reply.kind === "failure") return true;
  if (reply.status === 502 || reply.status === 503 || reply.status === 504) return true;
  return reply.status === 500 && !reply.body.includes("more than one PodDisruptionBudget");
}

/** A transport behind a circuit breaker. */
export function withCircuitBreaker(transport: ClusterTransport, breaker: CircuitBreaker): ClusterTransport {
  return {
    async send(request, signal, impersonate) {
      const wait = breaker.admit();
      if (wait !== null) {
        return { kind: "failure", failure: "circuit-open", detail: "the cluster failed repeatedly; the gateway is not calling it for now", retryAfterSeconds: wait };
      }
      const reply = await transport.send(request, signal, impersonate);
      breaker.record(isFailure(reply));
      return reply;
    },
  };
}
