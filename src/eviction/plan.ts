import * as z from "zod";
import { dns1123Subdomain, namespaceName, podName } from "./names.js";
import { labelSelectorString } from "./selector.js";
import { budgetsOf, ignoresBudgets, isDaemonSetPod, isMirrorPod, isReady, isTerminating, summarizeBudget, BudgetSummary, type KubeBudget, type KubePod } from "./pods.js";

/**
 * What evicting a set of pods would do now, from the budgets' status and the pods' readiness,
 * as the eviction API decides it (../shared/reference/kubernetes-eviction.md, steps 2–5), and
 * the order a drain would take: waves, each as large as the budgets allow. Pure: nothing is sent.
 */

export const PlanAction = z.enum(["evict", "blocked", "skip", "misconfigured"]).meta({
  description: "evict: would be evicted now; blocked: a budget refuses it now (it comes in a later wave); skip: a drain leaves it (DaemonSet, mirror, already terminating); misconfigured: more than one budget matches it, so the API server refuses it.",
});
export type PlanAction = z.infer<typeof PlanAction>;

export const PlannedPod = z
  .object({
    namespace: z.string(),
    name: z.string(),
    node: z.string().nullable(),
    action: PlanAction,
    budget: z.string().nullable().meta({ description: "The budget that allows or blocks it; null when none covers it." }),
    wave: z.number().int().nullable().meta({ description: "1 for now; n for the n-th round of a drain once the budget's pods are Ready again; null when it never comes (skip, misconfigured, or a budget that allows no disruption at all)." }),
    reason: z.string(),
  })
  .meta({ id: "PlannedPod" });
export type PlannedPod = z.infer<typeof PlannedPod>;

export const OutOfScope = z
  .object({ namespace: z.string(), pods: z.number().int() })
  .meta({ id: "OutOfScope", description: "Pods in a namespace outside the caller's scope: counted, never named or touched." });
export type OutOfScope = z.infer<typeof OutOfScope>;

export const Plan = z
  .object({
    requestId: z.string(),
    cluster: z.string(),
    summary: z.object({ evictNow: z.number().int(), blocked: z.number().int(), skipped: z.number().int(), misconfigured: z.number().int(), waves: z.number().int() }),
    pods: z.array(PlannedPod).meta({ description: "In the order a drain would take them: by wave, then namespace and name." }),
    budgets: z.array(BudgetSummary),
    outOfScope: z.array(OutOfScope),
    notFound: z.array(z.string()).meta({ description: "Pods named in the request that do not exist." }),
  })
  .meta({ id: "Plan" });
export type Plan = z.infer<typeof Plan>;

/** The most pods a plan may name. */
export const MAX_PLANNED_PODS = 100;

/** POST /v1/clusters/{cluster}/plans: exactly one of a node, named pods, or a label selector (the last two in a namespace). */
export const PlanRequest = z
  .strictObject({
    node: dns1123Subdomain.optional().meta({ description: "Plan a drain of this node: every pod on it." }),
    namespace: namespaceName.optional().meta({ description: "The namespace of `pods` or `labelSelector`." }),
    pods: z.array(podName).min(1).max(MAX_PLANNED_PODS).optional(),
    labelSelector: labelSelectorString.optional(),
  })
  .superRefine((r, ctx) => {
    const given = [r.node, r.pods, r.labelSelector].filter((v) => v !== undefined).length;
    if (given !== 1) ctx.addIssue({ code: "custom", path: [], message: "give exactly one of node, pods or labelSelector" });
    if (r.node !== undefined && r.namespace !== undefined) ctx.addIssue({ code: "custom", path: ["namespace"], message: "a node's pods are in every namespace; leave namespace out" });
    if ((r.pods !== undefined || r.labelSelector !== undefined) && r.namespace === undefined) ctx.addIssue({ code: "custom", path: ["namespace"], message: "is required with pods or labelSelector" });
  })
  .meta({ id: "PlanRequest" });
export type PlanRequest = z.infer<typeof PlanRequest>;

/** Plans the pods given (already filtered to what the caller may see). */
export function planEvictions(pods: KubePod[], budgets: KubeBudget[]): { pods: PlannedPod[]; budgets: BudgetSummary[] } {
  const sorted = [...pods].sort(byName);
  const planned: PlannedPod[] = [];
  const queues = new Map<string, KubePod[]>();
  const base = (pod: KubePod) => ({ namespace: pod.metadata.namespace, name: pod.metadata.name, node: pod.spec?.nodeName || null });

  for (const pod of sorted) {
    const skip = skipReason(pod);
    if (skip) {
      planned.push({ ...base(pod), action: "skip", budget: null, wave: null, reason: skip });
      continue;
    }
    const matched = budgetsOf(pod, budgets);
    if (matched.length > 1) {
      const names = matched.map((b) => b.metadata.name).join(", ");
      planned.push({ ...base(pod), action: "misconfigured", budget: null, wave: null, reason: `More than one budget matches it (${names}); the API server refuses to evict it.` });
      continue;
    }
    const budget = matched[0];
    if (!budget) {
      planned.push({ ...base(pod), action: "evict", budget: null, wave: 1, reason: "No budget covers it." });
      continue;
    }
    const name = budget.metadata.name;
    if (ignoresBudgets(pod)) {
      planned.push({ ...base(pod), action: "evict", budget: name, wave: 1, reason: `It is ${pod.status?.phase}; the API server evicts it without asking budget ${name}.` });
      continue;
    }
    if (!isReady(pod)) {
      const s = budget.status ?? {};
      const always = budget.spec?.unhealthyPodEvictionPolicy === "AlwaysAllow";
      const healthyEnough = (s.currentHealthy ?? 0) >= (s.desiredHealthy ?? 0) && (s.desiredHealthy ?? 0) > 0;
      if (always || healthyEnough) {
        planned.push({ ...base(pod), action: "evict", budget: name, wave: 1, reason: `It is not Ready, and budget ${name} ${always ? "always allows evicting unhealthy pods" : "is healthy"}, so it takes none of the budget's disruptions.` });
        continue;
      }
    }
    const key = `${budget.metadata.namespace}/${name}`;
    queues.set(key, [...(queues.get(key) ?? []), pod]);
  }

  // Each budget's pods in waves: the first as large as its disruptionsAllowed now, the later
  // ones as large as it allows once its pods are all Ready again (expectedPods − desiredHealthy).
  for (const [key, queue] of queues) {
    const budget = budgets.find((b) => `${b.metadata.namespace}/${b.metadata.name}` === key)!;
    const s = budget.status ?? {};
    const now = Math.max(0, s.disruptionsAllowed ?? 0);
    const steady = Math.max(0, (s.expectedPods ?? 0) - (s.desiredHealthy ?? 0));
    const name = budget.metadata.name;
    queue.forEach((pod, i) => {
      const wave = i < now ? 1 : steady > 0 ? 2 + Math.floor((i - now) / steady) : null;
      const reason =
        wave === 1
          ? `Budget ${name} allows ${now} disruption${now === 1 ? "" : "s"} now.`
          : wave === null
            ? `Budget ${name} allows no disruption (${s.currentHealthy ?? 0} healthy, ${s.desiredHealthy ?? 0} needed), and would not with every pod Ready.`
            : `Budget ${name} allows ${now} disruption${now === 1 ? "" : "s"} now; this pod waits for wave ${wave}, once the evicted pods' replacements are Ready.`;
      planned.push({ ...base(pod), action: wave === 1 ? "evict" : "blocked", budget: name, wave, reason });
    });
  }

  planned.sort((a, b) => (a.wave ?? Number.MAX_SAFE_INTEGER) - (b.wave ?? Number.MAX_SAFE_INTEGER) || byName({ metadata: a } as never, { metadata: b } as never));
  return { pods: planned, budgets: budgets.map(summarizeBudget) };
}

export function summarizePlan(pods: PlannedPod[]): Plan["summary"] {
  const count = (action: PlanAction) => pods.filter((p) => p.action === action).length;
  return {
    evictNow: count("evict"),
    blocked: count("blocked"),
    skipped: count("skip"),
    misconfigured: count("misconfigured"),
    waves: Math.max(0, ...pods.map((p) => p.wave ?? 0)),
  };
}

/** Why a drain leaves a pod alone, or null. */
export function skipReason(pod: KubePod): string | null {
  if (isMirrorPod(pod)) return "A mirror pod (a static pod of the kubelet): it cannot be evicted through the API.";
  if (isDaemonSetPod(pod)) return "Owned by a DaemonSet, which would put it back on the node at once.";
  if (isTerminating(pod)) return "Already terminating.";
  return null;
}

function byName(a: KubePod, b: KubePod): number {
  return a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name);
}
