import * as z from "zod";
import { clusterName, namespaceName, podName } from "./names.js";

/** The optional JSON body of POST /v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction. */
export const EvictionRequest = z
  .strictObject({
    dryRun: z.boolean().optional().meta({ description: "Ask the API server to check the eviction without deleting anything." }),
    gracePeriodSeconds: z
      .number()
      .int()
      .min(0)
      .max(31_536_000)
      .optional()
      .meta({ description: "Overrides the pod's terminationGracePeriodSeconds; 0 means delete immediately." }),
    preconditions: z
      .strictObject({
        uid: z.string().min(1).max(128).optional(),
        resourceVersion: z.string().min(1).max(64).optional(),
      })
      .optional()
      .meta({ description: "Evict only if the pod still has this UID and/or resourceVersion." }),
    reason: z.string().max(256).optional().meta({ description: "A short human reason, kept in the audit log." }),
  })
  .meta({ id: "EvictionRequest" });
export type EvictionRequest = z.infer<typeof EvictionRequest>;

/** The pod an eviction is aimed at, taken from the path. */
export const EvictionTarget = z.object({ cluster: clusterName, namespace: namespaceName, pod: podName });
export type EvictionTarget = z.infer<typeof EvictionTarget>;

/** The pod a request names, validated or not. */
export interface Target {
  cluster: string;
  namespace: string;
  pod: string;
}

/** The policy/v1 Eviction the gateway sends upstream. */
export function toKubernetesEviction(target: EvictionTarget, request: EvictionRequest) {
  const deleteOptions: Record<string, unknown> = {};
  if (request.gracePeriodSeconds !== undefined) deleteOptions.gracePeriodSeconds = request.gracePeriodSeconds;
  if (request.preconditions && Object.keys(request.preconditions).length > 0) deleteOptions.preconditions = request.preconditions;
  if (request.dryRun) deleteOptions.dryRun = ["All"];
  return {
    apiVersion: "policy/v1",
    kind: "Eviction",
    metadata: { name: target.pod, namespace: target.namespace },
    ...(Object.keys(deleteOptions).length > 0 ? { deleteOptions } : {}),
  };
}
export type KubernetesEviction = ReturnType<typeof toKubernetesEviction>;
