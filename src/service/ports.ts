import type { BlockHistory, StuckPolicy } from "../eviction/attempts.js";
import type { Outcome } from "../eviction/outcome.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import type { GcraDecision, LimitCharge } from "../ratelimit/gcra.js";

export type { LimitCharge };

/**
 * The service's ports: each a narrow interface that a runtime adapter (node/, worker/) or a
 * shared implementation fills in, and each with one contract suite under test/contract/.
 */

/** Time, in milliseconds since the epoch. Nothing in the core reads the system clock itself. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Who the gateway acts as on the cluster (Impersonate-User, Impersonate-Group). */
export interface Impersonation {
  user: string;
  group?: string;
}

/** One call to a cluster's API server, as the Kubernetes REST API spells it. */
export interface KubeRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The path and query under the server's URL, e.g. `/api/v1/namespaces/demo/pods?labelSelector=app%3Dweb`. */
  path: string;
  /** A JSON body (an Eviction, a patch). */
  body?: string;
  /** The body's type: JSON unless a patch names its own (application/merge-patch+json). */
  contentType?: string;
}

/**
 * Sends one request to one cluster's API server with the cluster's credentials.
 * Never throws: every failure is a reply. Evictions, reads and cordons all go through it,
 * so a runtime implements one method and the service decides what to send.
 */
export interface ClusterTransport {
  send(request: KubeRequest, signal: AbortSignal, impersonate?: Impersonation): Promise<UpstreamReply>;
}

/** A cluster the gateway can reach, as the service sees it. */
export interface RegisteredCluster {
  name: string;
  type: string;
  description?: string;
  /** The API server's URL, when there is one to show (never a credential). */
  server: string | null;
  timeoutMs?: number;
  impersonate?: { userPrefix: string; group?: string };
  /** Record blocked evictions as Events on their pods. */
  events?: boolean;
  transport: ClusterTransport;
  /** Its circuits and last access check, for /readyz. */
  status?(): ClusterStatus;
}

/** What an access check found: reachable, TLS trusted, credentials accepted, allowed to evict. */
export interface ProbeResult {
  /** When it ran, ISO 8601. */
  checkedAt: string;
  ok: boolean;
  /** What is wrong, one short phrase each; never a secret. */
  problems: string[];
}

/**
 * Checks once, with the cluster's own credentials, that the gateway can evict there
 * (a SelfSubjectAccessReview for `create` on `pods/eviction`). Never throws.
 */
export interface ClusterProbe {
  checkAccess(signal: AbortSignal): Promise<ProbeResult>;
}

/** A cluster's health as /readyz shows it: no namespace names, no secrets. */
export interface ClusterStatus {
  /** The cluster-wide circuit. */
  circuit: "closed" | "open" | "half-open";
  retryAfterSeconds: number;
  /** Namespaces whose own circuit is open or half-open. */
  openNamespaces: number;
  inFlight: number;
  /** The last access check; null before the first. */
  probe: ProbeResult | null;
}

export interface ClusterRegistry {
  get(name: string): RegisteredCluster | undefined;
  list(): RegisteredCluster[];
  close(): Promise<void>;
}

export interface LimiterStore {
  /**
   * Takes one request from every key, all or nothing: if any key would deny, none is charged.
   * Returns a decision per charge, in order. Concurrent calls never over-admit.
   */
  take(charges: LimitCharge[], now: number): Promise<GcraDecision[]>;
  /** Gives one request back to each key: a reservation that did not end in an eviction. */
  refund(charges: LimitCharge[], now: number): Promise<void>;
}

/** The answer an idempotency or replay key keeps. */
export interface StoredResponse {
  status: number;
  contentType: string;
  body: string;
}

export type IdempotencyBegin = { state: "started" } | { state: "in-flight" } | { state: "mismatch" } | { state: "replay"; response: StoredResponse };

export interface IdempotencyStore {
  /** Claims a key for a request with this fingerprint, or says why not. The claim lapses after `inFlightMs`. */
  begin(key: string, fingerprint: string, now: number, inFlightMs: number): Promise<IdempotencyBegin>;
  /** Stores the answer for `ttlMs`, or (response null) releases the claim so the same key may be retried. */
  complete(key: string, fingerprint: string, response: StoredResponse | null, now: number, ttlMs: number): Promise<void>;
}

/** Consecutive blocks per pod: drives the backoff for exhausted budgets and `attempts.stuck`. */
export interface BlockHistoryStore {
  /** Adds one block at `now` and returns the history including it. */
  record(key: string, now: number, policy: StuckPolicy): Promise<BlockHistory>;
  read(key: string, now: number): Promise<BlockHistory | null>;
  clear(key: string): Promise<void>;
}

/** A long-running operation (a drain) as a store keeps it: the service's record, as JSON. */
export interface StoredOperation {
  id: string;
  /** Unfinished: listed by activeOperations, so a replica that starts resumes it. */
  active: boolean;
  record: string;
}

/**
 * Operations that outlive a request and a replica: their state, a cancel flag kept apart from
 * it (so a runner's save can never overwrite a cancel), and a lease naming the one runner that
 * may advance each.
 */
export interface OperationStore {
  /** Creates or replaces an operation, kept for `ttlMs`. */
  saveOperation(op: StoredOperation, ttlMs: number): Promise<void>;
  loadOperation(id: string): Promise<StoredOperation | null>;
  /** Asks the operation to stop; false when there is no such operation. */
  requestCancel(id: string, ttlMs: number): Promise<boolean>;
  cancelRequested(id: string): Promise<boolean>;
  /** Takes or renews the lease for `holder`; false while another holder's lease is live. */
  leaseOperation(id: string, holder: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up, if `holder` has it. */
  releaseOperation(id: string, holder: string): Promise<void>;
  /** The ids of operations saved active and not since saved finished (or expired). */
  activeOperations(): Promise<string[]>;
}

/** The stores as one backend (memory, Redis, Durable Objects) provides them. */
export interface StateStore extends LimiterStore, IdempotencyStore, BlockHistoryStore, OperationStore {
  readonly kind: string;
  close?(): Promise<void>;
}

/** One line per answer. Holds names and outcomes, never a key, token or signature. */
export interface AuditEntry {
  time: string;
  requestId: string;
  caller: string | null;
  route: string;
  cluster: string;
  namespace: string;
  pod: string;
  dryRun: boolean;
  outcome: Outcome;
  status: number;
  upstreamStatus: number | null;
  latencyMs: number;
  retryAfter: number | null;
  /** The W3C trace id of the caller's `traceparent`, when it sent a valid one. */
  traceId?: string;
  replayed?: boolean;
  reason?: string;
}

export interface AuditSink {
  write(entry: AuditEntry): void;
}

/** What the gateway counts. Node exports it to Prometheus; Workers count nothing. */
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
