import * as z from "zod";
import { Outcome } from "./outcome.js";
import { EvictionRequest } from "./request.js";
import { EvictionResult } from "./result.js";

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
      outcomes: z.partialRecord(Outcome, z.number().int()).meta({ description: "How many items ended in each outcome; outcomes no item ended in are left out." }),
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

/** The summary of a batch's results. */
export function summarize(results: EvictionResult[]): BatchResult["summary"] {
  const outcomes: Partial<Record<Outcome, number>> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  return { total: results.length, retryable: results.filter((r) => r.retryable).length, outcomes };
}
