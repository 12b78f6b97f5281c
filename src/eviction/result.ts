import * as z from "zod";
import { Outcome } from "./outcome.js";
import { WaitReport } from "./wait.js";

export const UpstreamCause = z.object({
  reason: z.string().optional(),
  message: z.string().optional(),
  field: z.string().optional(),
});

/** What the API server said, trimmed to what a caller can act on. */
export const UpstreamSummary = z
  .object({
    status: z.number().int().nullable().meta({ description: "HTTP status from the API server; null when no answer came." }),
    reason: z.string().nullable(),
    message: z.string().nullable(),
    causes: z.array(UpstreamCause),
  })
  .meta({ id: "UpstreamSummary" });
export type UpstreamSummary = z.infer<typeof UpstreamSummary>;

export const DisruptionBudget = z
  .object({
    name: z.string(),
    desiredHealthy: z.number().int().nullable(),
    currentHealthy: z.number().int().nullable(),
  })
  .meta({ id: "DisruptionBudget", description: "Parsed from the DisruptionBudget cause; the counts are null while the budget is still being processed." });
export type DisruptionBudget = z.infer<typeof DisruptionBudget>;

export const Attempts = z
  .object({
    count: z.number().int().meta({ description: "Consecutive blocked attempts on this pod." }),
    since: z.iso.datetime().meta({ description: "When the first of them was made." }),
    stuck: z.boolean().meta({ description: "True once the pod has been blocked repeatedly over a long span." }),
  })
  .meta({ id: "Attempts" });
export type Attempts = z.infer<typeof Attempts>;

/** The one shape every eviction answer has, success or failure. */
export const EvictionResult = z
  .object({
    requestId: z.string(),
    cluster: z.string(),
    namespace: z.string(),
    pod: z.string(),
    dryRun: z.boolean(),
    outcome: Outcome,
    retryable: z.boolean(),
    retryAfterSeconds: z.number().int().min(0).nullable(),
    message: z.string().meta({ description: "One human line, fit for a chat reply." }),
    upstream: UpstreamSummary.optional(),
    disruptionBudget: DisruptionBudget.optional(),
    attempts: Attempts.optional(),
    wait: WaitReport.optional().meta({ description: "Present when the request asked to wait: how far the pod (and its owner) got." }),
  })
  .meta({ id: "EvictionResult" });
export type EvictionResult = z.infer<typeof EvictionResult>;

export const FieldError = z.object({ detail: z.string(), pointer: z.string() });
export type FieldError = z.infer<typeof FieldError>;

/**
 * RFC 9457 problem details. An eviction's problem carries every EvictionResult member as an
 * extension; a problem about the route itself (no such route, an internal error) carries only
 * requestId. Other extension members (violated-policies) are allowed, as the RFC says.
 */
export const Problem = EvictionResult.partial()
  .extend({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    requestId: z.string(),
    errors: z
      .array(FieldError)
      .optional()
      .meta({ description: "For invalid requests: each problem with a JSON pointer into the request (#/body/…, #/path/…)." }),
    "violated-policies": z.array(z.string()).optional().meta({ description: "For rate-limited answers: the gateway policies that denied." }),
  })
  .loose()
  .meta({ id: "Problem" });
export type Problem = z.infer<typeof Problem>;
