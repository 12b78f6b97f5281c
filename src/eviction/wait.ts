import * as z from "zod";
import { EvictionRequest } from "./request.js";

/** The longest a request may hold its answer while waiting (seconds): an isolate or a proxy should never hold a request longer. */
export const WAIT_CAP_SECONDS = 120;

export const WaitFor = z.enum(["gone", "replacement-ready"]).meta({
  description: "gone (the default): until the pod no longer exists; replacement-ready: also until its owner (ReplicaSet, StatefulSet) has as many Ready pods as it wants again.",
});
export type WaitFor = z.infer<typeof WaitFor>;

/** How long to wait, and for what: the fields a single or selector eviction takes. */
export const waitFields = {
  wait: z
    .number()
    .int()
    .min(1)
    .max(WAIT_CAP_SECONDS)
    .optional()
    .meta({ description: `Hold the answer up to this many seconds (at most ${WAIT_CAP_SECONDS}) until the evicted pod is gone, or with waitFor replacement-ready until its owner is Ready again.` }),
  waitFor: WaitFor.optional(),
};

export const WaitState = z.enum(["terminating", "gone", "replacement-ready"]);
export type WaitState = z.infer<typeof WaitState>;

export const WaitReport = z
  .object({
    for: WaitFor,
    reached: WaitState.meta({ description: "How far it got: terminating (still there), gone, replacement-ready." }),
    done: z.boolean().meta({ description: "True when `reached` is what was waited for; false when the wait ran out first." }),
    elapsedSeconds: z.number(),
    owner: z.object({ kind: z.string(), name: z.string(), desired: z.number().int(), ready: z.number().int() }).optional().meta({ description: "The owner's Ready count, last seen (replacement-ready)." }),
  })
  .meta({ id: "WaitReport" });
export type WaitReport = z.infer<typeof WaitReport>;

/** The body of a single eviction on the REST route: an EvictionRequest, and how long to wait. */
export const EvictionWithWait = EvictionRequest.extend(waitFields).meta({ id: "EvictionWithWait" });
