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
 * that the sandbox's kubelet finishes after min(grace period, terminationCapSeconds).
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

  const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
  const finished = pod.status.phase === "Succeeded" || pod.status.phase === "Failed";
  if (pod.spec.nodeName && !finished && grace > 0) {
    const now = cluster.now();
    const goneAt = now + Math.min(grace, cluster.options.terminationCapSeconds) * 1000;
    const current = cluster.timers.podGoneAt.get(`${namespace}/${name}`);
    if (current === undefined || goneAt < current) {
      cluster.timers.podGoneAt.set(`${namespace}/${name}`, goneAt);
      pod.metadata.deletionTimestamp = cluster.timestamp(now + grace * 1000);
      pod.metadata.deletionGracePeriodSeconds = grace;
      pod.metadata.resourceVersion = cluster.nextResourceVersion();
    }
    return clone(pod);
  }
  cluster.store(namespace).pods.delete(name);
  cluster.timers.podGoneAt.delete(`${namespace}/${name}`);
  cluster.timers.podReadyAt.delete(`${namespace}/${name}`);
  return clone(pod);
}
