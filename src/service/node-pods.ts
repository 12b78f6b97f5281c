import type { Caller } from "../auth/api-keys.js";
import type { OutOfScope } from "../eviction/plan.js";
import type { KubeBudget, KubePod } from "../eviction/pods.js";
import type { Target } from "../eviction/request.js";
import type { Answer } from "./answer.js";
import { budgetsPath, call, nodePath, nodePodsPath, okBody, readFailure } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import type { RegisteredCluster } from "./ports.js";
import { fetchList } from "./read.js";

export type NodePods = { ok: true; pods: KubePod[]; budgets: KubeBudget[]; outOfScope: OutOfScope[] } | { ok: false; answer: Answer };

/**
 * A node's pods (a list across namespaces by spec.nodeName), split by the caller's scope: the
 * pods in namespaces `inScope` allows, with those namespaces' budgets, and a count per namespace
 * of the rest, which are never named nor touched. The node must exist.
 */
export async function podsOnNode(deps: ServiceDeps, requestId: string, caller: Caller, cluster: RegisteredCluster, node: string, inScope: (namespace: string) => boolean): Promise<NodePods> {
  const target: Target = { cluster: cluster.name, namespace: "", pod: "" };
  const nodeReply = await call(deps, cluster, caller, { method: "GET", path: nodePath(node) });
  if (okBody(nodeReply) === null) return { ok: false, answer: readFailure(deps, requestId, target, nodeReply, `the node ${node}`) };
  const listed = await fetchList<KubePod>(deps, requestId, caller, cluster, target, nodePodsPath(node), `the pods of node ${node}`);
  if (!listed.ok) return listed;
  const pods = listed.items.filter((p) => typeof p.metadata.namespace === "string");
  const visible = pods.filter((p) => inScope(p.metadata.namespace));
  const hidden = new Map<string, number>();
  for (const p of pods) if (!inScope(p.metadata.namespace)) hidden.set(p.metadata.namespace, (hidden.get(p.metadata.namespace) ?? 0) + 1);
  const namespaces = [...new Set(visible.map((p) => p.metadata.namespace))].sort();
  const budgets = await fetchBudgetsOf(deps, requestId, caller, cluster, namespaces);
  if (!budgets.ok) return budgets;
  return { ok: true, pods: visible, budgets: budgets.items, outOfScope: [...hidden].sort(([a], [b]) => a.localeCompare(b)).map(([namespace, count]) => ({ namespace, pods: count })) };
}

/** The budgets of several namespaces, read in parallel. */
export async function fetchBudgetsOf(deps: ServiceDeps, requestId: string, caller: Caller, cluster: RegisteredCluster, namespaces: string[]): Promise<{ ok: true; items: KubeBudget[] } | { ok: false; answer: Answer }> {
  const lists = await Promise.all(
    namespaces.map((namespace) => fetchList<KubeBudget>(deps, requestId, caller, cluster, { cluster: cluster.name, namespace, pod: "" }, budgetsPath(namespace), `the budgets of ${namespace}`)),
  );
  const failed = lists.find((l) => !l.ok);
  if (failed && !failed.ok) return failed;
  return { ok: true, items: lists.flatMap((l) => (l.ok ? l.items : [])) };
}
