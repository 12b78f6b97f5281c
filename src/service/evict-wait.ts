import type { Caller } from "../auth/api-keys.js";
import { controllerOf, type KubePod } from "../eviction/pods.js";
import type { EvictionRequest, Target } from "../eviction/request.js";
import type { WaitFor } from "../eviction/wait.js";
import type { Answer } from "./answer.js";
import { call, okBody, podPath } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import { evictOnce } from "./evict-once.js";
import { scopeRefusal } from "./evict.js";
import { waitUntil, type Evicted } from "./wait.js";

/**
 * One eviction that, when asked, holds its answer until the pod is gone (or its owner is Ready
 * again). The pod is read first, within the caller's evict scope, so the wait knows its uid and
 * owner. A dry run, a replayed answer and an eviction that did not happen do not wait.
 */
export async function evictAndWait(
  deps: ServiceDeps,
  requestId: string,
  caller: Caller,
  target: Target,
  request: EvictionRequest,
  idempotencyKey: string | undefined,
  wait: { seconds: number; for: WaitFor } | undefined,
): Promise<Answer> {
  if (!wait || request.dryRun) return evictOnce(deps, requestId, caller, target, request, idempotencyKey);
  const cluster = deps.clusters.get(target.cluster);
  const before = cluster && !scopeRefusal(deps, requestId, caller, target, false) ? await readPod(deps, caller, target) : null;
  const answer = await evictOnce(deps, requestId, caller, target, request, idempotencyKey);
  if (!cluster || answer.replayed || answer.result.outcome !== "evicted") return answer;
  const pod: Evicted = { namespace: target.namespace, name: target.pod, ...(before?.metadata.uid ? { uid: before.metadata.uid } : {}), owner: before ? controllerOf(before) : null };
  const report = await waitUntil(deps, cluster, caller, pod, wait.for, wait.seconds);
  return { ...answer, result: { ...answer.result, wait: report } };
}

async function readPod(deps: ServiceDeps, caller: Caller, target: Target): Promise<KubePod | null> {
  const body = okBody(await call(deps, deps.clusters.get(target.cluster)!, caller, { method: "GET", path: podPath(target.namespace, target.pod) }));
  try {
    return body === null ? null : (JSON.parse(body) as KubePod);
  } catch {
    return null;
  }
}
