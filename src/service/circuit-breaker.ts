import type { UpstreamReply } from "../eviction/upstream.js";
import type { Clock } from "./ports.js";

export interface BreakerPolicy {
  failureThreshold: number;
  cooldownSeconds: number;
}

export type CircuitState = "closed" | "open" | "half-open";

/**
 * One circuit: closed until `failureThreshold` consecutive failures, then open for
 * `cooldownSeconds` (answering at once, without calling), then half-open: one probe goes
 * through, and its result closes or reopens the circuit. A probe that never reports (its
 * caller gave up, or was refused by another circuit) is replaced after another cooldown.
 */
export class CircuitBreaker {
  private current: CircuitState = "closed";
  private failures = 0;
  private openedAt = 0;
  private probeAt = 0;

  constructor(
    private readonly policy: BreakerPolicy,
    private readonly clock: Clock,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  /** True while nothing is wrong: closed, with no failures counted. Such a circuit can be forgotten. */
  get idle(): boolean {
    return this.current === "closed" && this.failures === 0;
  }

  /** Null: go ahead. A number: the seconds until a probe may go. */
  admit(): number | null {
    if (this.current === "closed") return null;
    const now = this.clock.now();
    const cooldownMs = this.policy.cooldownSeconds * 1000;
    const from = this.current === "open" ? this.openedAt : this.probeAt;
    const waitMs = from + cooldownMs - now;
    if (waitMs <= 0) {
      this.current = "half-open";
      this.probeAt = now;
      return null; // this caller is the probe
    }
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  /** Seconds until a probe may go; 0 when closed. For health reports: changes nothing. */
  retryAfterSeconds(): number {
    if (this.current === "closed") return 0;
    const from = this.current === "open" ? this.openedAt : this.probeAt;
    return Math.max(0, Math.ceil((from + this.policy.cooldownSeconds * 1000 - this.clock.now()) / 1000));
  }

  /** The probe this caller took did not go out after all: the next caller may probe. */
  abandon(): void {
    if (this.current === "half-open") this.probeAt = 0;
  }

  record(failed: boolean): void {
    if (!failed) {
      this.current = "closed";
      this.failures = 0;
      return;
    }
    this.failures++;
    if (this.current === "half-open" || this.failures >= this.policy.failureThreshold) this.trip();
  }

  /** Opens the circuit now, whatever the count. */
  trip(): void {
    this.current = "open";
    this.openedAt = this.clock.now();
  }
}

/** No usable answer: nothing came back, or a gateway or overload error, or a 500 that is not the multi-budget one. */
export function isFailure(reply: UpstreamReply): boolean {
  if (reply.kind === "failure") return reply.failure !== "circuit-open" && reply.failure !== "busy";
  if (reply.status === 502 || reply.status === 503 || reply.status === 504) return true;
  return reply.status === 500 && !reply.body.includes("more than one PodDisruptionBudget");
}

/**
 * A failure that says the whole cluster is out of reach, whatever the namespace: the connection
 * is refused, or TLS fails. A timeout, a reset or a 5xx may come from one namespace's slow
 * webhook or huge object, and counts against that namespace only.
 */
export function isClusterWideFailure(reply: UpstreamReply): boolean {
  return reply.kind === "failure" && (reply.failure === "refused" || reply.failure === "tls");
}
