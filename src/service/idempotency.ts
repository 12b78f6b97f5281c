import type { EvictionRequest, Target } from "../eviction/request.js";
import type { Answer } from "./answer.js";
import type { ServiceDeps } from "./deps.js";
import type { StoredResponse } from "./ports.js";

/**
 * One helper for everything that must run at most once per key: an Idempotency-Key on the REST
 * route, a redelivered alert in a batch, a webhook-id. The same claim, replay and in-flight rule
 * for all three.
 */

export interface Claim {
  key: string;
  fingerprint: string;
  /** How long a final answer is kept (replayed, or refused as a duplicate). */
  ttlMs: number;
}

export type Once<T> = { state: "ran"; value: T } | { state: "replay"; stored: StoredResponse } | { state: "in-flight" } | { state: "mismatch" };

/** Time for the store calls one eviction makes around its upstream call (limits, refund, history, idempotency). */
const STORE_ALLOWANCE_MS = 5_000;
/** Slack on top, so a claim never lapses on the last step of its work. */
const CLAIM_MARGIN_MS = 5_000;

/**
 * The in-flight rule: a claim holds as long as the work it guards can take. Each eviction is cut
 * off at its cluster's timeout, and a batch runs `batchConcurrencyPerCluster` at a time per
 * cluster, so `items` evictions take at most ceil(items / concurrency) rounds of the longest
 * timeout any cluster has. A cluster's guard never queues a call (a namespace at its in-flight
 * limit is answered at once, retryable, and the claim released), so it adds no wait to this.
 */
export function claimHoldMs(deps: Pick<ServiceDeps, "config" | "clusters">, items = 1): number {
  const longest = Math.max(deps.config.eviction.upstreamTimeoutMs, ...deps.clusters.list().map((c) => c.timeoutMs ?? 0));
  const rounds = items <= 1 ? 1 : Math.ceil(items / deps.config.eviction.batchConcurrencyPerCluster);
  return rounds * (longest + STORE_ALLOWANCE_MS) + CLAIM_MARGIN_MS;
}

/**
 * Claims `claim.key`, runs `work` if the claim is new, and keeps what `keep` says (null releases
 * the key, so a retry runs again). A claim already held answers in-flight, a finished one replays,
 * and the same key with another fingerprint is a mismatch. If `work` throws, the claim is kept
 * until it lapses: what it did is unknown, and running it again could evict twice.
 */
export async function once<T>(deps: ServiceDeps, claim: Claim, holdMs: number, work: () => Promise<T>, keep: (value: T) => StoredResponse | null): Promise<Once<T>> {
  const begin = await deps.guard.run("idempotency", () => deps.idempotency.begin(claim.key, claim.fingerprint, deps.clock.now(), holdMs), { state: "started" as const });
  if (begin.state === "replay") return { state: "replay", stored: begin.response };
  if (begin.state !== "started") return { state: begin.state };
  const value = await work();
  await deps.guard.soft("idempotency", () => deps.idempotency.complete(claim.key, claim.fingerprint, keep(value), deps.clock.now(), claim.ttlMs), undefined);
  return { state: "ran", value };
}

/** A final answer as kept for replay; a retryable one is not kept, so a retry after Retry-After runs again. */
export function keepAnswer(answer: Answer): StoredResponse | null {
  if (answer.result.retryable) return null;
  const { result, status, extensions, errors } = answer;
  return { status, contentType: "application/json", body: JSON.stringify({ result, status, ...(extensions ? { extensions } : {}), ...(errors ? { errors } : {}) }) };
}

/** A kept answer, to be sent again. */
export function replayAnswer(stored: StoredResponse): Answer {
  const kept = JSON.parse(stored.body) as Pick<Answer, "result" | "status" | "extensions" | "errors">;
  return { ...kept, replayed: true };
}

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header-07): an sf-string such as
 * "8e03978e-…"; a bare token is accepted too. Returns null for anything else.
 */
export function parseIdempotencyKey(header: string): string | null {
  const trimmed = header.trim();
  const quoted = /^"([\x20-\x21\x23-\x5b\x5d-\x7e]{1,255})"$/.exec(trimmed);
  if (quoted) return quoted[1]!;
  return /^[A-Za-z0-9._:~+/=-]{1,255}$/.test(trimmed) ? trimmed : null;
}

/** What makes two requests "the same": the pod and the body, with keys in a fixed order. */
export async function fingerprint(target: Target, request: EvictionRequest): Promise<string> {
  const canonical = JSON.stringify([target.cluster, target.namespace, target.pod, sortKeys(request)]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
