import * as z from "zod";
import { BatchResult } from "./batch.js";
import { dns1123Subdomain } from "./names.js";
import { EvictionRequest } from "./request.js";
import { labelSelectorString } from "./selector.js";
import { waitFields } from "./wait.js";

/** The most pods one selector eviction may evict. */
export const MAX_SELECTED = 20;

export const WorkloadKind = z.enum(["Deployment", "StatefulSet", "ReplicaSet"]);
export type WorkloadKind = z.infer<typeof WorkloadKind>;

/** The apps/v1 resource of each workload kind. */
export const WORKLOAD_RESOURCES: Record<WorkloadKind, string> = { Deployment: "deployments", StatefulSet: "statefulsets", ReplicaSet: "replicasets" };

export const Workload = z.strictObject({ kind: WorkloadKind, name: dns1123Subdomain }).meta({ id: "Workload", description: "Evict pods of this workload, found through its spec.selector." });
export type Workload = z.infer<typeof Workload>;

/** POST /v1/clusters/{cluster}/namespaces/{namespace}/evictions */
export const SelectionRequest = z
  .strictObject({
    labelSelector: labelSelectorString.optional(),
    workload: Workload.optional(),
    max: z.number().int().min(1).max(MAX_SELECTED).default(1).meta({ description: `Evict at most this many pods (default 1, at most ${MAX_SELECTED}).` }),
    dryRun: EvictionRequest.shape.dryRun,
    gracePeriodSeconds: EvictionRequest.shape.gracePeriodSeconds,
    reason: EvictionRequest.shape.reason,
    ...waitFields,
  })
  .superRefine((r, ctx) => {
    if ((r.labelSelector === undefined) === (r.workload === undefined)) ctx.addIssue({ code: "custom", path: [], message: "give exactly one of labelSelector or workload" });
    if (r.waitFor !== undefined && r.wait === undefined) ctx.addIssue({ code: "custom", path: ["waitFor"], message: "needs wait (seconds)" });
  })
  .meta({ id: "SelectionRequest" });
export type SelectionRequest = z.infer<typeof SelectionRequest>;

export const SelectionResult = BatchResult.extend({
  selection: z.object({
    labelSelector: z.string().meta({ description: "The selector used (a workload's, when a workload was named)." }),
    workload: Workload.optional(),
    matched: z.number().int().meta({ description: "Pods the selector matched." }),
    eligible: z.number().int().meta({ description: "Of them, Ready and not terminating: the ones that may be picked." }),
    max: z.number().int(),
    message: z.string().meta({ description: "One human line: what was done." }),
  }),
}).meta({ id: "SelectionResult", description: "A batch result: one result per pod tried, in order; it stops at the first pod that could not be evicted." });
export type SelectionResult = z.infer<typeof SelectionResult>;
