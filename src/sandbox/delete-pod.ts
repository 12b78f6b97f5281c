import type { SandboxCluster } from "./cluster.js";
import { clone, type Pod } from "./objects.js";
import { conflict, failure } from "./status.js";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  dryRun?: string[];
}

const PROPAGATION = ["Foreground", "Background", "Orphan"];

/**
 * A pod delete as the generic registry does it: options validated (422), preconditions
 * checked (409), then either an immediate removal or, for a pod on a node, a graceful one
 * that the sandbox's kubelet finishes after min(grace period, terminationCapSeconds). Either
 * way a pod with finalizers stays, Terminating, until they are removed; deleting it again
 * succeeds and changes nothing but a shorter grace period.
 */
export function deletePod(cluster: SandboxCluster, namespace: string, name: string, options: DeleteOptions): Pod {
  const pod = cluster.pod(namespace, name);
  if (options.propagationPolicy !== undefined && !PROPAGATION.includes(options.propagationPolicy)) {
    const detail = `Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`;
    throw failure(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: ${detail}`, {
      group: "meta.k8s.io",
      kind: "DeleteOptions",
      causes: [{ reason: "FieldValueNotSupported", message: detail, field: "propagationPolicy" }],
    });
  }
  const { uid, resourceVersion } = options.preconditions ?? {};
  if (uid && uid !== pod.metadata.uid) {
    throw conflict("pods", name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`);
  }
  if (resourceVersion && resourceVersion !== pod.metadata.resourceVersion) {
    throw conflict("pods", name, `Precondition failed: ResourceVersion in precondition: ${resourceVersion}, ResourceVersion in object meta: ${pod.metadata.resourceVersion}`);
  }
  if (options.dryRun?.includes("All")) return clone(pod);

  const key = `${namespace}/${name}`;
  const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const finished = pod.status.phase === "Succeeded" || pod.status.phase === "Failed";
  const graceful = Boolean(pod.spec.nodeName) && !finished && grace > 0;
  const now = cluster.now();
  if (pod.metadata.deletionTimestamp) {
    // Already deleting: a shorter grace period brings the end forward, a longer one changes nothing (rest.BeforeDelete).
    const current = pod.metadata.deletionGracePeriodSeconds ?? 0;
    if (grace >= current) return clone(pod);
    pod.metadata.deletionTimestamp = cluster.timestamp(now + grace * 1000);
    pod.metadata.deletionGracePeriodSeconds = grace;
    pod.metadata.resourceVersion = cluster.nextResourceVersion();
    if (!graceful) {
      const answer = clone(pod);
      cluster.finishPodDeletion(namespace, name);
      return answer;
    }
    const goneAt = now + Math.min(grace, cluster.options.terminationCapSeconds) * 1000;
    const scheduled = cluster.timers.podGoneAt.get(key);
    if (scheduled !== undefined && goneAt < scheduled) cluster.timers.podGoneAt.set(key, goneAt);
    return clone(pod);
  }
  if (graceful) {
    cluster.timers.podGoneAt.set(key, now + Math.min(grace, cluster.options.terminationCapSeconds) * 1000);
    pod.metadata.deletionTimestamp = cluster.timestamp(now + grace * 1000);
    pod.metadata.deletionGracePeriodSeconds = grace;
    pod.metadata.resourceVersion = cluster.nextResourceVersion();
    return clone(pod);
  }
  // No kubelet to wait for: gone now, unless finalizers hold it (then Terminating with a grace period of 0).
  pod.metadata.deletionTimestamp = cluster.timestamp(now);
  pod.metadata.deletionGracePeriodSeconds = 0;
  pod.metadata.resourceVersion = cluster.nextResourceVersion();
  const answer = clone(pod);
  cluster.finishPodDeletion(namespace, name);
  return answer;
}
