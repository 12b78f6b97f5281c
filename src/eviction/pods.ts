import * as z from "zod";
import { selectorMatches, type LabelSelectorObject } from "./selector.js";

/**
 * Pods and PodDisruptionBudgets as the gateway reads them from a cluster's lists, and the
 * summaries it answers with. Pure: what is Ready, terminating, owned by whom, covered by which budget.
 */

/** The few fields of a Kubernetes Pod the gateway reads. */
export interface KubePod {
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export interface KubeBudget {
  metadata: { name: string; namespace: string };
  spec?: { selector?: LabelSelectorObject | null; minAvailable?: number | string; maxUnavailable?: number | string; unhealthyPodEvictionPolicy?: string };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number; observedGeneration?: number };
}

/** The annotation the kubelet puts on a static pod's mirror: it cannot be evicted, and a drain leaves it. */
export const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";

export function isReady(pod: KubePod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

export function isTerminating(pod: KubePod): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

export function controllerOf(pod: KubePod): { kind: string; name: string } | null {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? null;
  return owner ? { kind: owner.kind, name: owner.name } : null;
}

export function isDaemonSetPod(pod: KubePod): boolean {
  return controllerOf(pod)?.kind === "DaemonSet";
}

export function isMirrorPod(pod: KubePod): boolean {
  return pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined;
}

/** The eviction API deletes such a pod without asking its budget (canIgnorePDB). */
export function ignoresBudgets(pod: KubePod): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Pending" || isTerminating(pod);
}

/** The budgets whose selector matches the pod (in its namespace). */
export function budgetsOf(pod: KubePod, budgets: KubeBudget[]): KubeBudget[] {
  return budgets.filter((b) => b.metadata.namespace === pod.metadata.namespace && selectorMatches(b.spec?.selector, pod.metadata.labels));
}

export const PodSummary = z
  .object({
    name: z.string(),
    namespace: z.string(),
    phase: z.string(),
    ready: z.boolean(),
    terminating: z.boolean(),
    node: z.string().nullable(),
    owner: z.object({ kind: z.string(), name: z.string() }).nullable().meta({ description: "The controller that owns the pod (ReplicaSet, StatefulSet, DaemonSet…); null for a bare pod." }),
    budgets: z.array(z.string()).meta({ description: "The PodDisruptionBudgets in the namespace whose selector matches the pod." }),
  })
  .meta({ id: "PodSummary" });
export type PodSummary = z.infer<typeof PodSummary>;

export const BudgetSummary = z
  .object({
    name: z.string(),
    namespace: z.string(),
    minAvailable: z.union([z.number(), z.string()]).nullable(),
    maxUnavailable: z.union([z.number(), z.string()]).nullable(),
    desiredHealthy: z.number().int(),
    currentHealthy: z.number().int(),
    expectedPods: z.number().int(),
    disruptionsAllowed: z.number().int(),
  })
  .meta({ id: "BudgetSummary" });
export type BudgetSummary = z.infer<typeof BudgetSummary>;

export const PodList = z.object({ cluster: z.string(), namespace: z.string(), pods: z.array(PodSummary) }).meta({ id: "PodList" });
export type PodList = z.infer<typeof PodList>;
export const BudgetList = z.object({ cluster: z.string(), namespace: z.string(), budgets: z.array(BudgetSummary) }).meta({ id: "BudgetList" });
export type BudgetList = z.infer<typeof BudgetList>;

export function summarizePod(pod: KubePod, budgets: KubeBudget[]): PodSummary {
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace,
    phase: pod.status?.phase ?? "Unknown",
    ready: isReady(pod),
    terminating: isTerminating(pod),
    node: pod.spec?.nodeName || null,
    owner: controllerOf(pod),
    budgets: budgetsOf(pod, budgets).map((b) => b.metadata.name),
  };
}

export function summarizeBudget(b: KubeBudget): BudgetSummary {
  const s = b.status ?? {};
  return {
    name: b.metadata.name,
    namespace: b.metadata.namespace,
    minAvailable: b.spec?.minAvailable ?? null,
    maxUnavailable: b.spec?.maxUnavailable ?? null,
    desiredHealthy: s.desiredHealthy ?? 0,
    currentHealthy: s.currentHealthy ?? 0,
    expectedPods: s.expectedPods ?? 0,
    disruptionsAllowed: s.disruptionsAllowed ?? 0,
  };
}

/** A List's items when the body is a Kubernetes List of objects with names and namespaces; null otherwise. */
export function listItems<T extends { metadata: { name: string } }>(body: string): T[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const items = (parsed as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return null;
  return items.every((i) => typeof (i as { metadata?: { name?: unknown } })?.metadata?.name === "string") ? (items as T[]) : null;
}
