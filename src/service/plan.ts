import type { Caller } from "../auth/api-keys.js";
import { allows } from "../auth/scope.js";
import { gatewayResult } from "../eviction/build.js";
import { planEvictions, summarizePlan, type Plan, type PlanRequest } from "../eviction/plan.js";
import type { KubeBudget, KubePod } from "../eviction/pods.js";
import type { Target } from "../eviction/request.js";
import type { Answer } from "./answer.js";
import { admit, isAnswer } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import { fetchBudgetsOf, podsOnNode } from "./node-pods.js";
import { fetchPods, type ReadAnswer } from "./read.js";

/**
 * A plan: which pods would be evicted now, which a budget blocks, in what order a drain would
 * go. Reads only (GET pods, budgets, the node): it needs `read`, and changes nothing.
 */
export async function plan(deps: ServiceDeps, requestId: string, caller: Caller, cluster: string, request: PlanRequest): Promise<ReadAnswer<Plan>> {
  const target: Target = { cluster, namespace: request.namespace ?? "", pod: "" };
  const admitted = await admit(deps, requestId, caller, target, request.node !== undefined ? { action: "read", on: "cluster" } : { action: "read", on: "namespace" });
  if (isAnswer(admitted)) return { ok: false, answer: admitted };

  let pods: KubePod[];
  let budgets: KubeBudget[];
  let outOfScope: Plan["outOfScope"] = [];
  let notFound: string[] = [];
  if (request.node !== undefined) {
    const onNode = await podsOnNode(deps, requestId, caller, admitted, request.node, (ns) => allows(caller.scopes, cluster, ns, "read"));
    if (!onNode.ok) return onNode;
    ({ pods, budgets, outOfScope } = onNode);
  } else {
    const listed = await fetchPods(deps, requestId, caller, admitted, target, request.labelSelector);
    if (!listed.ok) return listed;
    pods = request.pods ? listed.items.filter((p) => request.pods!.includes(p.metadata.name)) : listed.items;
    notFound = (request.pods ?? []).filter((name) => !pods.some((p) => p.metadata.name === name));
    const read = await fetchBudgetsOf(deps, requestId, caller, admitted, [target.namespace]);
    if (!read.ok) return read;
    budgets = read.items;
  }
  const planned = planEvictions(pods, budgets);
  const body: Plan = { requestId, cluster, summary: summarizePlan(planned.pods), pods: planned.pods, budgets: planned.budgets, outOfScope, notFound };
  const what = request.node !== undefined ? `plan drain of node ${request.node}` : request.pods ? `plan ${request.pods.length} pods` : "plan by label selector";
  const answer: Answer = { result: gatewayResult(requestId, target, "forwarded", { message: `Planned on ${cluster}.` }), status: 200, reason: what };
  return { ok: true, body, answer };
}
