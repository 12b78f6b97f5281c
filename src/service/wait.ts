import type { Caller } from "../auth/api-keys.js";
import type { KubePod } from "../eviction/pods.js";
import { WORKLOAD_RESOURCES, type WorkloadKind } from "../eviction/selection.js";
import type { WaitFor, WaitReport, WaitState } from "../eviction/wait.js";
import { call, okBody, podPath } from "./cluster-read.js";
import type { ServiceDeps } from "./deps.js";
import type { RegisteredCluster } from "./ports.js";

/** How often a wait asks the cluster again. */
export const WAIT_POLL_MS = 500;

/** The pod that was evicted: its name, and (when known) its uid, so a replacement of the same name does not count as it. */
export interface Evicted {
  namespace: string;
  name: string;
  uid?: string;
  owner: { kind: string; name: string } | null;
}

/**
 * Holds until the evicted pod is gone (a GET answers 404, or a pod of another uid), and with
 * replacement-ready until its owner has its desired Ready count again, or until `seconds` pass.
 * Polls within the request on both runtimes: between polls nothing runs, so a Worker spends
 * wall-clock time, not CPU time. Answers how far it got.
 */
export async function waitUntil(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, pod: Evicted, waitFor: WaitFor, seconds: number): Promise<WaitReport> {
  const started = deps.clock.now();
  const deadline = started + seconds * 1000;
  let reached: WaitState = "terminating";
  let owner: WaitReport["owner"];
  for (;;) {
    if (reached === "terminating" && (await isGone(deps, cluster, caller, pod))) reached = "gone";
    if (reached === "gone" && waitFor === "replacement-ready") {
      owner = await ownerReadiness(deps, cluster, caller, pod);
      // A bare pod has no owner to replace it: gone is as far as it can get.
      if (owner === undefined || owner.ready >= owner.desired) reached = owner === undefined ? "gone" : "replacement-ready";
      if (owner === undefined) break;
    }
    if (reached === waitFor || deps.clock.now() + WAIT_POLL_MS > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
  return { for: waitFor, reached, done: reached === waitFor, elapsedSeconds: Math.round((deps.clock.now() - started) / 100) / 10, ...(owner ? { owner } : {}) };
}

async function isGone(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, pod: Evicted): Promise<boolean> {
  const reply = await call(deps, cluster, caller, { method: "GET", path: podPath(pod.namespace, pod.name) });
  if (reply.kind === "reply" && reply.status === 404) return true;
  const body = okBody(reply);
  if (body === null || pod.uid === undefined) return false;
  try {
    return (JSON.parse(body) as KubePod).metadata?.uid !== pod.uid;
  } catch {
    return false;
  }
}

/** The owner's desired and Ready counts (apps/v1 ReplicaSet or StatefulSet); undefined when the pod has none the gateway can read. */
async function ownerReadiness(deps: ServiceDeps, cluster: RegisteredCluster, caller: Caller, pod: Evicted): Promise<WaitReport["owner"]> {
  const kind = pod.owner?.kind as WorkloadKind | undefined;
  if (!pod.owner || !kind || !(kind in WORKLOAD_RESOURCES)) return undefined;
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(pod.namespace)}/${WORKLOAD_RESOURCES[kind]}/${encodeURIComponent(pod.owner.name)}`;
  const body = okBody(await call(deps, cluster, caller, { method: "GET", path }));
  if (body === null) return { ...pod.owner, desired: 1, ready: 0 };
  try {
    const w = JSON.parse(body) as { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
    return { ...pod.owner, desired: w.spec?.replicas ?? 1, ready: w.status?.readyReplicas ?? 0 };
  } catch {
    return { ...pod.owner, desired: 1, ready: 0 };
  }
}
