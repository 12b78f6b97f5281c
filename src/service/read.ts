import type { Caller } from "../auth/api-keys.js";
import { gatewayResult } from "../eviction/build.js";
import { listItems, summarizeBudget, summarizePod, type BudgetList, type KubeBudget, type KubePod, type PodList } from "../eviction/pods.js";
import type { Target } from "../eviction/request.js";
import type { Answer } from "./answer.js";
import { admit, budgetsPath, call, isAnswer, okBody, podsPath, readFailure } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import type { RegisteredCluster } from "./ports.js";

/** A read's answer: the body to send, and the answer the audit line records; or a refusal. */
export type ReadAnswer<T> = { ok: true; body: T; answer: Answer } | { ok: false; answer: Answer };

/** GET pods in a namespace (optionally by label selector), each with the budgets that cover it. Needs `read` there. */
export async function readPods(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, labelSelector: string | undefined): Promise<ReadAnswer<PodList>> {
  const admitted = await admit(deps, requestId, caller, target, { action: "read", on: "namespace" });
  if (isAnswer(admitted)) return { ok: false, answer: admitted };
  const [pods, budgets] = await Promise.all([fetchPods(deps, requestId, caller, admitted, target, labelSelector), fetchBudgets(deps, requestId, caller, admitted, target)]);
  if (!pods.ok) return pods;
  if (!budgets.ok) return budgets;
  const body: PodList = { cluster: target.cluster, namespace: target.namespace, pods: pods.items.map((p) => summarizePod(p, budgets.items)) };
  return { ok: true, body, answer: readAnswer(requestId, target, labelSelector ? `list pods by label selector` : "list pods") };
}

/** GET budgets in a namespace with their status. Needs `read` there. */
export async function readBudgets(deps: ServiceDeps, requestId: string, caller: Caller, target: Target): Promise<ReadAnswer<BudgetList>> {
  const admitted = await admit(deps, requestId, caller, target, { action: "read", on: "namespace" });
  if (isAnswer(admitted)) return { ok: false, answer: admitted };
  const budgets = await fetchBudgets(deps, requestId, caller, admitted, target);
  if (!budgets.ok) return budgets;
  return { ok: true, body: { cluster: target.cluster, namespace: target.namespace, budgets: budgets.items.map(summarizeBudget) }, answer: readAnswer(requestId, target, "list budgets") };
}

export type Fetched<T> = { ok: true; items: T[] } | { ok: false; answer: Answer };

export async function fetchPods(deps: ServiceDeps, requestId: string, caller: Caller, cluster: RegisteredCluster, target: Target, labelSelector?: string): Promise<Fetched<KubePod>> {
  return fetchList<KubePod>(deps, requestId, caller, cluster, target, podsPath(target.namespace, labelSelector), "the pod list");
}

export async function fetchBudgets(deps: ServiceDeps, requestId: string, caller: Caller, cluster: RegisteredCluster, target: Target): Promise<Fetched<KubeBudget>> {
  return fetchList<KubeBudget>(deps, requestId, caller, cluster, target, budgetsPath(target.namespace), "the budget list");
}

export async function fetchList<T extends { metadata: { name: string } }>(
  deps: ServiceDeps,
  requestId: string,
  caller: Caller,
  cluster: RegisteredCluster,
  target: Target,
  path: string,
  what: string,
): Promise<Fetched<T>> {
  const reply = await call(deps, cluster, caller, { method: "GET", path });
  const body = okBody(reply);
  const items = body === null ? null : listItems<T>(body);
  return items ? { ok: true, items } : { ok: false, answer: readFailure(deps, requestId, target, reply, what) };
}

/** The audit record of a read that succeeded: outcome `forwarded`, what was read in the reason. */
function readAnswer(requestId: string, target: Target, what: string): Answer {
  return { result: gatewayResult(requestId, target, "forwarded", { message: `Read ${target.namespace} on ${target.cluster}.` }), status: 200, reason: what };
}
