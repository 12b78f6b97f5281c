import type { Caller } from "../auth/api-keys.js";
import { allows } from "../auth/scope.js";
import { summarize } from "../eviction/batch.js";
import { gatewayResult } from "../eviction/build.js";
import { controllerOf, isReady, isTerminating, type KubePod } from "../eviction/pods.js";
import type { Target } from "../eviction/request.js";
import { WORKLOAD_RESOURCES, type SelectionRequest, type SelectionResult } from "../eviction/selection.js";
import { selectorToString } from "../eviction/selector.js";
import { answerOf, type Answer } from "./answer.js";
import { admit, call, isAnswer, okBody, readFailure } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import { evict } from "./evict.js";
import { fetchPods } from "./read.js";
import type { RegisteredCluster } from "./ports.js";
import { waitUntil } from "./wait.js";

/** A selector eviction's answer: the batch body and each pod's answer for the audit; or a refusal of the whole request. */
export type SelectionAnswer = { ok: true; body: SelectionResult; items: Answer[] } | { ok: false; answer: Answer };

/** Outcomes after which the next pod is tried: this one was evicted, or vanished or changed on the way. */
const NEXT_POD: ReadonlySet<string> = new Set(["evicted", "would-evict", "not-found", "conflict"]);

/** The scope check alone (no state touched), so a caller out of scope leaves no idempotency record behind. */
export function selectionScopeRefusal(deps: Pick<ServiceDeps, "clusters">, requestId: string, caller: Caller, target: Target, dryRun: boolean): Answer | null {
  if (!deps.clusters.get(target.cluster)) return null; // admit() answers unknown-cluster or forbidden
  if (allows(caller.scopes, target.cluster, target.namespace, dryRun ? "dry-run" : "evict")) return null;
  return answerOf(gatewayResult(requestId, target, "forbidden", { dryRun, message: `This API key may not ${dryRun ? "dry-run evictions" : "evict pods"} in ${target.namespace} on ${target.cluster}.` }));
}

/**
 * Evicts up to `max` Ready, non-terminating pods that a label selector (or a workload's selector)
 * picks, one after another through the single-eviction use case, so scope, limits, backoff and
 * audit apply per pod. Each eviction names the pod's uid, so a replacement of the same name is
 * never evicted in its place. It stops at the first pod that could not be evicted: the pods
 * left would meet the same budget or limit.
 */
export async function evictSelected(deps: ServiceDeps, requestId: string, caller: Caller, target: Target, request: SelectionRequest): Promise<SelectionAnswer> {
  const dryRun = request.dryRun ?? false;
  const admitted = await admit(deps, requestId, caller, target, { action: dryRun ? "dry-run" : "evict", on: "namespace" });
  if (isAnswer(admitted)) return { ok: false, answer: admitted };

  const selector = request.workload ? await workloadSelector(deps, requestId, caller, admitted, target, request) : { ok: true as const, selector: request.labelSelector! };
  if (!selector.ok) return selector;
  const listed = await fetchPods(deps, requestId, caller, admitted, target, selector.selector);
  if (!listed.ok) return listed;
  const eligible = listed.items.filter((p) => isReady(p) && !isTerminating(p) && p.status?.phase === "Running").sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));

  const items: Answer[] = [];
  let evicted = 0;
  for (const pod of eligible) {
    if (evicted >= request.max) break;
    const answer = await evict(deps, `${requestId}.${items.length + 1}`, caller, { cluster: target.cluster, namespace: target.namespace, pod: pod.metadata.name }, {
      ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
      ...(request.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: request.gracePeriodSeconds } : {}),
      ...(request.reason !== undefined ? { reason: request.reason } : {}),
      ...(pod.metadata.uid ? { preconditions: { uid: pod.metadata.uid } } : {}),
    });
    items.push(answer);
    if (answer.result.outcome === "evicted" || answer.result.outcome === "would-evict") evicted++;
    else if (!NEXT_POD.has(answer.result.outcome)) break;
  }

  if (request.wait !== undefined && !dryRun) await waitForAll(deps, admitted, caller, eligible, items, request);

  const results = items.map((a) => a.result);
  const shown = request.workload ? `${request.workload.kind} ${request.workload.name}` : selector.selector;
  const message =
    eligible.length === 0
      ? `No Ready pod of ${shown} in ${target.namespace} on ${target.cluster} (${listed.items.length} matched); nothing was evicted.`
      : `${dryRun ? "Would evict" : "Evicted"} ${evicted} of at most ${request.max} pod${request.max === 1 ? "" : "s"} of ${shown} in ${target.namespace} on ${target.cluster}${evicted < request.max && items.length > 0 && !NEXT_POD.has(results.at(-1)!.outcome) ? `; stopped at ${results.at(-1)!.pod}: ${results.at(-1)!.outcome}` : ""}.`;
  const body: SelectionResult = {
    requestId,
    summary: summarize(results),
    results,
    selection: { labelSelector: selector.selector, ...(request.workload ? { workload: request.workload } : {}), matched: listed.items.length, eligible: eligible.length, max: request.max, message },
  };
  // Nothing tried: the read itself is what the audit line records.
  const audited = items.length ? items : [{ result: gatewayResult(requestId, target, "forwarded", { dryRun, message }), status: 200, reason: "select pods" }];
  return { ok: true, body, items: audited };
}

/** The workload's spec.selector as a selector string. */
async function workloadSelector(deps: ServiceDeps, requestId: string, caller: Caller, cluster: RegisteredCluster, target: Target, request: SelectionRequest) {
  const { kind, name } = request.workload!;
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}/${WORKLOAD_RESOURCES[kind]}/${encodeURIComponent(name)}`;
  const reply = await call(deps, cluster, caller, { method: "GET", path });
  const body = okBody(reply);
  if (body === null) return { ok: false as const, answer: readFailure(deps, requestId, target, reply, `the ${kind} ${name}`) };
  let selector: string | null = null;
  try {
    selector = selectorToString((JSON.parse(body) as { spec?: { selector?: never } }).spec?.selector);
  } catch {
    selector = null;
  }
  if (selector === null) {
    const message = `${kind} ${name} in ${target.namespace} has no selector the gateway can use (empty, or with an unknown operator); nothing was evicted.`;
    return { ok: false as const, answer: answerOf(gatewayResult(requestId, target, "invalid", { message }), { status: 409 }) };
  }
  return { ok: true as const, selector };
}

/** Waits for every evicted pod at once, and attaches each one's report to its result. */
async function waitForAll(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, pods: KubePod[], items: Answer[], request: SelectionRequest): Promise<void> {
  await Promise.all(
    items.map(async (answer) => {
      if (answer.result.outcome !== "evicted") return;
      const pod = pods.find((p) => p.metadata.name === answer.result.pod)!;
      const report = await waitUntil(deps, cluster, caller, { namespace: pod.metadata.namespace, name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}), owner: controllerOf(pod) }, request.waitFor ?? "gone", request.wait!);
      answer.result = { ...answer.result, wait: report };
    }),
  );
}
