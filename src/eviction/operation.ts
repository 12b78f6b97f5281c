import * as z from "zod";
import { Outcome } from "./outcome.js";
import { OutOfScope } from "./plan.js";
import { EvictionRequest } from "./request.js";

/** A drain's deadline when the caller names none, and the longest it may ask for (seconds). */
export const DEFAULT_DRAIN_DEADLINE_SECONDS = 600;
export const MAX_DRAIN_DEADLINE_SECONDS = 3600;

/** POST /v1/clusters/{cluster}/nodes/{node}/drain */
export const DrainRequest = z
  .strictObject({
    dryRun: EvictionRequest.shape.dryRun.meta({ description: "Evict every pod as a dry run, and do not cordon: nothing changes." }),
    gracePeriodSeconds: EvictionRequest.shape.gracePeriodSeconds,
    reason: EvictionRequest.shape.reason,
    deadlineSeconds: z
      .number()
      .int()
      .min(10)
      .max(MAX_DRAIN_DEADLINE_SECONDS)
      .default(DEFAULT_DRAIN_DEADLINE_SECONDS)
      .meta({ description: `Stop trying after this long (default ${DEFAULT_DRAIN_DEADLINE_SECONDS}, at most ${MAX_DRAIN_DEADLINE_SECONDS}); the operation then ends expired.` }),
  })
  .meta({ id: "DrainRequest" });
export type DrainRequest = z.infer<typeof DrainRequest>;

export const DrainPodState = z.enum(["pending", "evicting", "blocked", "retrying", "evicted", "would-evict", "gone", "skipped", "failed"]).meta({
  description:
    "pending: not tried yet (its budget has no room); evicting: accepted, the pod is terminating; blocked: a budget refused, retried after its backoff; retrying: throttled or unavailable, retried; evicted: gone after its eviction; would-evict: a dry run accepted it; gone: it left the node without this drain's eviction; skipped: a DaemonSet or mirror pod; failed: refused for good (misconfigured budgets, denied).",
});
export type DrainPodState = z.infer<typeof DrainPodState>;

/** States after which a pod is not looked at again. */
export const FINAL_POD_STATES: ReadonlySet<DrainPodState> = new Set<DrainPodState>(["evicted", "would-evict", "gone", "skipped", "failed"]);

export const DrainPod = z
  .object({
    namespace: z.string(),
    name: z.string(),
    uid: z.string().nullable(),
    state: DrainPodState,
    outcome: Outcome.nullable().meta({ description: "The last eviction's outcome; null before the first." }),
    attempts: z.number().int(),
    budget: z.string().nullable().meta({ description: "The budget that covers the pod and paces it." }),
    blockingBudget: z.string().nullable().meta({ description: "The budget that refused the last attempt." }),
    nextAttemptAt: z.iso.datetime().nullable(),
    message: z.string(),
  })
  .meta({ id: "DrainPod" });
export type DrainPod = z.infer<typeof DrainPod>;

export const DrainBudget = z
  .object({
    namespace: z.string(),
    name: z.string(),
    allows: z.number().int().meta({ description: "The most disruptions the budget allows at once (expectedPods − desiredHealthy), as last read." }),
    disruptionsAllowed: z.number().int().meta({ description: "Its disruptionsAllowed, as last read." }),
    maxInFlight: z.number().int().meta({ description: "The most of its pods this drain had terminating at once." }),
  })
  .meta({ id: "DrainBudget" });
export type DrainBudget = z.infer<typeof DrainBudget>;

export const OperationState = z.enum(["running", "succeeded", "failed", "cancelled", "expired"]);
export type OperationState = z.infer<typeof OperationState>;

export const Operation = z
  .object({
    id: z.string(),
    kind: z.literal("drain"),
    createdBy: z.string().meta({ description: "The id of the API key that started it: only that key may see or cancel it." }),
    cluster: z.string(),
    node: z.string(),
    dryRun: z.boolean(),
    state: OperationState,
    message: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    deadline: z.iso.datetime(),
    cordoned: z.boolean(),
    cancelRequested: z.boolean(),
    summary: z.object({ pods: z.number().int(), done: z.number().int(), evicted: z.number().int(), skipped: z.number().int(), failed: z.number().int(), waiting: z.number().int() }),
    pods: z.array(DrainPod),
    budgets: z.array(DrainBudget),
    outOfScope: z.array(OutOfScope),
    request: z.object({ gracePeriodSeconds: z.number().int().optional(), reason: z.string().optional() }),
  })
  .meta({ id: "Operation" });
export type Operation = z.infer<typeof Operation>;
