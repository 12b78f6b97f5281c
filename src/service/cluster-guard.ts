import type { UpstreamReply } from "../eviction/upstream.js";
import { CircuitBreaker, isClusterWideFailure, isFailure, type BreakerPolicy, type CircuitState } from "./circuit-breaker.js";
import type { Clock, ClusterTransport } from "./ports.js";

export interface GuardPolicy extends BreakerPolicy {
  /** Namespaces failing with no success between them that open the cluster-wide circuit. */
  clusterWideAfterNamespaces: number;
  /** Calls one namespace may have upstream at once; more are answered `busy` at once. */
  maxInFlightPerNamespace: number;
}

/** What a cluster's guard says about it, for /readyz: no namespace names, only counts. */
export interface GuardReport {
  circuit: CircuitState;
  /** Seconds until the cluster-wide circuit lets a probe through; 0 when closed. */
  retryAfterSeconds: number;
  /** Namespaces whose own circuit is open or half-open. */
  openNamespaces: number;
  inFlight: number;
}

/** What Retry-After says to a namespace at its in-flight limit: a call in flight ends within its timeout. */
const BUSY_RETRY_SECONDS = 2;
/** Namespaces whose state is kept; idle ones are forgotten first, so the map cannot grow without bound. */
const MAX_TRACKED_NAMESPACES = 10_000;
/** The key of requests that name no namespace (nodes, /version, lists across namespaces). */
const CLUSTER_SCOPED = "";

interface NamespaceState {
  breaker: CircuitBreaker;
  inFlight: number;
}

/**
 * Keeps one tenant's trouble to itself. Each namespace of a cluster has its own circuit and its
 * own share of concurrent calls; the cluster-wide circuit opens only on failures that are clearly
 * the cluster's (connection refused, TLS), or when several namespaces fail with no success
 * between them. So one namespace's failing webhook or stalled calls never cut off another's.
 */
export class ClusterGuard {
  private readonly cluster: CircuitBreaker;
  private readonly namespaces = new Map<string, NamespaceState>();
  private readonly failingNamespaces = new Set<string>();
  private inFlight = 0;

  constructor(
    private readonly policy: GuardPolicy,
    private readonly clock: Clock,
  ) {
    this.cluster = new CircuitBreaker(policy, clock);
  }

  /** A refusal to send (circuit open, namespace busy), or a ticket whose `done` records the reply. */
  admit(namespace: string): { refused: UpstreamReply } | { done(reply: UpstreamReply): void } {
    const state = this.stateOf(namespace);
    if (state.inFlight >= this.policy.maxInFlightPerNamespace) {
      const where = namespace === CLUSTER_SCOPED ? "cluster-scoped requests" : `namespace ${namespace}`;
      return {
        refused: {
          kind: "failure",
          failure: "busy",
          detail: `${where} already has ${state.inFlight} calls in flight on this cluster, the most one namespace may have; nothing was sent`,
          retryAfterSeconds: BUSY_RETRY_SECONDS,
        },
      };
    }
    const clusterWait = this.cluster.admit();
    if (clusterWait !== null) return { refused: circuitOpen("the cluster failed repeatedly", clusterWait) };
    const namespaceWait = state.breaker.admit();
    if (namespaceWait !== null) {
      this.cluster.abandon();
      return { refused: circuitOpen(`calls in ${namespace === CLUSTER_SCOPED ? "cluster-scoped requests" : `namespace ${namespace}`} failed repeatedly`, namespaceWait) };
    }
    state.inFlight++;
    this.inFlight++;
    let recorded = false;
    return {
      done: (reply) => {
        if (recorded) return;
        recorded = true;
        state.inFlight--;
        this.inFlight--;
        this.record(namespace, state, reply);
      },
    };
  }

  report(): GuardReport {
    let openNamespaces = 0;
    for (const s of this.namespaces.values()) if (s.breaker.state !== "closed") openNamespaces++;
    return { circuit: this.cluster.state, retryAfterSeconds: this.cluster.retryAfterSeconds(), openNamespaces, inFlight: this.inFlight };
  }

  private record(namespace: string, state: NamespaceState, reply: UpstreamReply): void {
    if (!isFailure(reply)) {
      state.breaker.record(false);
      this.cluster.record(false);
      this.failingNamespaces.clear();
      return;
    }
    if (isClusterWideFailure(reply) || this.cluster.state === "half-open") {
      this.cluster.record(true);
      return;
    }
    state.breaker.record(true);
    this.failingNamespaces.add(namespace);
    if (this.failingNamespaces.size >= this.policy.clusterWideAfterNamespaces) {
      this.failingNamespaces.clear();
      this.cluster.trip();
    }
  }

  private stateOf(namespace: string): NamespaceState {
    let state = this.namespaces.get(namespace);
    if (state) return state;
    if (this.namespaces.size >= MAX_TRACKED_NAMESPACES) this.forgetIdle();
    state = { breaker: new CircuitBreaker(this.policy, this.clock), inFlight: 0 };
    this.namespaces.set(namespace, state);
    return state;
  }

  /** Drops namespaces with nothing in flight and nothing wrong: they would start from scratch anyway. */
  private forgetIdle(): void {
    for (const [name, s] of this.namespaces) if (s.inFlight === 0 && s.breaker.idle) this.namespaces.delete(name);
  }
}

function circuitOpen(why: string, retryAfterSeconds: number): UpstreamReply {
  return { kind: "failure", failure: "circuit-open", detail: `${why}; the gateway is not calling it for now`, retryAfterSeconds };
}

/** The namespace a Kubernetes API path is in (`/api/v1/namespaces/{ns}/…`, `/apis/{group}/{version}/namespaces/{ns}/…`), or "" for none. */
export function namespaceOfPath(path: string): string {
  const match = /^\/(?:api\/v1|apis\/[^/]+\/[^/]+)\/namespaces\/([^/?]+)\/[^?]/.exec(path);
  if (!match) return CLUSTER_SCOPED;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1]!;
  }
}

/** A transport behind a cluster's guard: the namespace is read from the request's path. */
export function withClusterGuard(transport: ClusterTransport, guard: ClusterGuard): ClusterTransport {
  return {
    async send(request, signal, impersonate) {
      const ticket = guard.admit(namespaceOfPath(request.path));
      if ("refused" in ticket) return ticket.refused;
      let reply: UpstreamReply = { kind: "failure", failure: "network", detail: "the transport failed" };
      try {
        reply = await transport.send(request, signal, impersonate);
        return reply;
      } finally {
        ticket.done(reply);
      }
    },
  };
}
