import * as z from "zod";
import type { Caller } from "../auth/api-keys.js";
import { Outcome, RETRYABLE } from "../eviction/outcome.js";
import { EvictionRequest } from "../eviction/request.js";
import { EvictionResult } from "../eviction/result.js";
import { observe } from "./audited.js";
import type { AppDeps } from "./context.js";
import { decisionOf, runEviction } from "./eviction-flow.js";
import { validateEviction } from "./eviction-input.js";
import { gatewayResult } from "./respond.js";

export const MAX_BATCH_ITEMS = 100;

/** One item of a batch: the pod, then the same fields as a single eviction's body. */
export const BatchItem = EvictionRequest.extend({
  cluster: z.string().max(253),
  namespace: z.string().max(253),
  pod: z.string().max(253),
}).meta({ id: "BatchItem" });
export type BatchItem = z.infer<typeof BatchItem>;

export const BatchRequest = z.strictObject({ items: z.array(BatchItem).min(1).max(MAX_BATCH_ITEMS) }).meta({ id: "BatchRequest" });

export const BatchResult = z
  .object({
    requestId: z.string(),
    summary: z.object({
      total: z.number().int(),
      duplicates: z.number().int().optional().meta({ description: "Webhook redeliveries answered from the first delivery's result, not run again." }),
      ignored: z.number().int().optional().meta({ description: "Alertmanager: resolved alerts, and firing ones past the first 100." }),
      retryable: z.number().int().meta({ description: "Items worth retrying after their retryAfterSeconds." }),
      outcomes: z.record(Outcome, z.number().int()).meta({ description: "How many items ended in each outcome." }),
    }),
    results: z.array(EvictionResult).meta({ description: "One result per item, in the order given." }),
  })
  .meta({ id: "BatchResult" });
export type BatchResult = z.infer<typeof BatchResult>;

/** Is this body a batch ({ items: [...] }) rather than a single eviction? */
export function isBatch(body: unknown): body is { items: unknown } {
  return body !== null && typeof body === "object" && !Array.isArray(body) && "items" in body;
}

/** The envelope's own problems (not the items'), or null when it is fine. */
export function envelopeError(body: unknown): string | null {
  if (!isBatch(body)) return 'The body must be an object with "items": an array of evictions.';
  const extra = Object.keys(body).filter((k) => k !== "items");
  if (extra.length) return `Unknown field${extra.length > 1 ? "s" : ""}: ${extra.slice(0, 5).join(", ")}.`;
  if (!Array.isArray(body.items) || body.items.length === 0) return '"items" must be a non-empty array.';
  if (body.items.length > MAX_BATCH_ITEMS) return `A batch holds at most ${MAX_BATCH_ITEMS} items.`;
  return null;
}

/**
 * Runs a batch: each item validated, authorized and rate-limited on its own, at most
 * `batchConcurrencyPerCluster` at a time per cluster. Results come back in order; each
 * item is observed (audit line, metrics) as its own decision.
 */
export async function runBatch(
  deps: AppDeps,
  requestId: string,
  caller: Caller,
  items: unknown[],
  route: string,
  options: { dedupeKey?: (index: number) => string } = {},
): Promise<BatchResult> {
  const perCluster = deps.config.eviction.batchConcurrencyPerCluster;
  const lanes = new Map<string, Promise<void>[]>();
  const results = new Array<EvictionResult>(items.length);
  let duplicates = 0;

  const runItem = async (raw: unknown, i: number) => {
    const started = deps.clock();
    const itemId = `${requestId}.${i + 1}`;
    const item = (raw !== null && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    const { cluster, namespace, pod, ...body } = item;
    const target = { cluster: String(cluster ?? ""), namespace: String(namespace ?? ""), pod: String(pod ?? "") };

    // Redeliveries: an item already answered finally is answered from the store; one in flight is left alone.
    const dedupe = options.dedupeKey?.(i);
    if (dedupe) {
      const inFlightMs = deps.config.eviction.upstreamTimeoutMs + 5000;
      const begin = await deps.guard.run("idempotency", () => deps.store.begin(dedupe, "item", deps.clock(), inFlightMs), { state: "started" as const });
      if (begin.state === "replay" || begin.state === "in-flight") {
        duplicates++;
        results[i] =
          begin.state === "replay"
            ? (JSON.parse(begin.response.body) as EvictionResult)
            : gatewayResult(itemId, target, "conflict", { message: "This alert is being handled by an earlier delivery.", retryable: true, retryAfterSeconds: 1 });
        return;
      }
    }

    const input = validateEviction(itemId, target, raw !== null && typeof raw === "object" ? body : raw, { target: `#/items/${i}`, body: `#/items/${i}` });
    let status = 400;
    if (!input.ok) {
      results[i] = input.result;
      observe(deps, { requestId: itemId, caller: caller.id, route, target, started, decision: { outcome: "invalid", status, dryRun: false } });
    } else {
      const out = await runEviction(deps, itemId, caller, input.target, input.request);
      results[i] = out.result;
      status = out.status;
      observe(deps, { requestId: itemId, caller: caller.id, route, target, started, decision: decisionOf(out, input.request) });
    }
    if (dedupe) {
      const result = results[i]!;
      const stored = RETRYABLE.has(result.outcome) ? null : { status, contentType: "application/json", body: JSON.stringify(result) };
      await deps.guard.soft("idempotency", () => deps.store.complete(dedupe, "item", stored, deps.clock(), deps.config.idempotency.ttlSeconds * 1000), undefined);
    }
  };

  // A simple lane per cluster: item i waits for item i - perCluster of the same cluster.
  const all = items.map((raw, i) => {
    const cluster = String((raw as { cluster?: unknown } | null)?.cluster ?? "");
    const lane = lanes.get(cluster) ?? [];
    lanes.set(cluster, lane);
    const before = lane.length >= perCluster ? lane[lane.length - perCluster]! : Promise.resolve();
    const run = before.then(() => runItem(raw, i));
    lane.push(run);
    return run;
  });
  await Promise.all(all);

  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return {
    requestId,
    summary: { total: results.length, ...(options.dedupeKey ? { duplicates } : {}), retryable: results.filter((r) => RETRYABLE.has(r.outcome)).length, outcomes: outcomes as Record<Outcome, number> },
    results,
  };
}
