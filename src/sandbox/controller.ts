import type { SandboxCluster, Store } from "./cluster.js";
import { deletePod } from "./delete-pod.js";
import { deepEqual, isReady, MANUAL_ANNOTATION, selectorMatches, UNSCHEDULABLE_TAINT, type DaemonSet, type Pod, type PodDisruptionBudget } from "./objects.js";

/** The disruption controller forgets a disrupted pod the API never deleted after this long (k/k DeletionTimeout). */
const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

/**
 * One pass of the controllers a real cluster runs: namespace cleanup, the node lifecycle
 * controller (the cordon taint), the scheduler, the kubelet (start-up and graceful
 * termination), the ReplicaSet and DaemonSet controllers and the disruption controller. The sandbox runs it lazily before each request, so it works the same
 * in a Worker, where nothing runs between requests.
 */
export function reconcile(cluster: SandboxCluster): void {
  if (!cluster.options.controllers) return;
  const now = cluster.now();
  for (const [name, at] of cluster.timers.namespaceCleanupAt) {
    if (now >= at) cleanUpNamespace(cluster, name);
  }
  taintCordonedNodes(cluster, now);
  scheduleWaitingPods(cluster, now);
  for (const store of cluster.namespaces.values()) {
    runKubelet(cluster, store, now);
    for (const rs of store.replicaSets.values()) scaleReplicaSet(cluster, store, rs.metadata.name, now);
    for (const ds of store.daemonSets.values()) runDaemonSet(cluster, store, ds, now);
    for (const pdb of store.pdbs.values()) {
      if (pdb.metadata.annotations?.[MANUAL_ANNOTATION] !== "manual") syncBudget(cluster, store, pdb, now);
    }
  }
}

function cleanUpNamespace(cluster: SandboxCluster, name: string): void {
  const store = cluster.namespaces.get(name);
  if (!store) return;
  store.replicaSets.clear();
  store.deployments.clear();
  store.pdbs.clear();
  for (const pod of [...store.pods.values()]) {
    if (!pod.metadata.deletionTimestamp) deletePod(cluster, name, pod.metadata.name, {});
  }
  if (store.pods.size === 0) {
    cluster.namespaces.delete(name);
    cluster.timers.namespaceCleanupAt.delete(name);
  }
}

function runKubelet(cluster: SandboxCluster, store: Store, now: number): void {
  const ns = store.namespace.metadata.name;
  for (const pod of [...store.pods.values()]) {
    const key = `${ns}/${pod.metadata.name}`;
    const goneAt = cluster.timers.podGoneAt.get(key);
    if (goneAt !== undefined && now >= goneAt) {
      cluster.finishPodDeletion(ns, pod.metadata.name);
      continue;
    }
    const readyAt = cluster.timers.podReadyAt.get(key);
    if (readyAt !== undefined && now >= readyAt && !pod.metadata.deletionTimestamp) {
      const at = cluster.timestamp(readyAt);
      pod.status = {
        ...pod.status,
        phase: "Running",
        conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({
          type,
          status: "True" as const,
          lastProbeTime: null,
          lastTransitionTime: at,
        })),
        startTime: at,
      };
      pod.metadata.resourceVersion = cluster.nextResourceVersion();
      cluster.timers.podReadyAt.delete(key);
    }
  }
}

function scaleReplicaSet(cluster: SandboxCluster, store: Store, name: string, now: number): void {
  const rs = store.replicaSets.get(name)!;
  const owned = [...store.pods.values()].filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === rs.metadata.uid));
  const active = owned.filter((p) => !p.metadata.deletionTimestamp);
  const ns = store.namespace.metadata.name;
  for (let i = active.length; i < rs.spec.replicas; i++) {
    const pod = cluster.createPod(ns, {
      metadata: {
        generateName: `${rs.metadata.name}-`,
        labels: { ...rs.spec.template.metadata?.labels },
        ...(rs.spec.template.metadata?.annotations ? { annotations: { ...rs.spec.template.metadata.annotations } } : {}),
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs.metadata.name, uid: rs.metadata.uid, controller: true }],
      } as Pod["metadata"],
      spec: { ...rs.spec.template.spec },
    });
    cluster.unscheduled.add(`${ns}/${pod.metadata.name}`);
    active.push(pod);
  }
  scheduleWaitingPods(cluster, now);
  const status = { replicas: active.length, readyReplicas: active.filter(isReady).length };
  if (!deepEqual(status, rs.status)) rs.status = status;
}

/** The node lifecycle controller: a cordoned node carries the unschedulable NoSchedule taint, an uncordoned one loses it. */
function taintCordonedNodes(cluster: SandboxCluster, now: number): void {
  for (const node of cluster.nodes.values()) {
    const taints = node.spec.taints ?? [];
    const tainted = taints.some((t) => t.key === UNSCHEDULABLE_TAINT);
    if (Boolean(node.spec.unschedulable) === tainted) continue;
    const next = node.spec.unschedulable ? [...taints, { key: UNSCHEDULABLE_TAINT, effect: "NoSchedule", timeAdded: cluster.timestamp(now) }] : taints.filter((t) => t.key !== UNSCHEDULABLE_TAINT);
    if (next.length) node.spec.taints = next;
    else delete node.spec.taints;
    node.metadata.resourceVersion = cluster.nextResourceVersion();
  }
}

/** The scheduler: a controller's new pod gets a node (and starts) once one can take it. */
function scheduleWaitingPods(cluster: SandboxCluster, now: number): void {
  for (const key of cluster.unscheduled) {
    const [ns, name] = key.split("/") as [string, string];
    const pod = cluster.namespaces.get(ns)?.pods.get(name);
    if (!pod || pod.metadata.deletionTimestamp) {
      cluster.unscheduled.delete(key);
      continue;
    }
    const node = cluster.schedule();
    if (!node) return;
    pod.spec.nodeName = node;
    pod.metadata.resourceVersion = cluster.nextResourceVersion();
    cluster.unscheduled.delete(key);
    cluster.timers.podReadyAt.set(key, now + cluster.options.podStartupMs);
  }
}

/** The DaemonSet controller: one pod per node, cordoned nodes included (DaemonSet pods tolerate the taint). */
function runDaemonSet(cluster: SandboxCluster, store: Store, ds: DaemonSet, now: number): void {
  const ns = store.namespace.metadata.name;
  const owned = [...store.pods.values()].filter((p) => p.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid) && !p.metadata.deletionTimestamp);
  for (const node of cluster.nodes.values()) {
    if (owned.some((p) => p.spec.nodeName === node.metadata.name)) continue;
    const pod = cluster.createPod(ns, {
      metadata: {
        generateName: `${ds.metadata.name}-`,
        labels: { ...ds.spec.template.metadata?.labels },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: ds.metadata.name, uid: ds.metadata.uid, controller: true }],
      } as Pod["metadata"],
      spec: { ...ds.spec.template.spec, nodeName: node.metadata.name },
    });
    cluster.timers.podReadyAt.set(`${ns}/${pod.metadata.name}`, now + cluster.options.podStartupMs);
    owned.push(pod);
  }
  const status = {
    currentNumberScheduled: owned.length,
    desiredNumberScheduled: cluster.nodes.size,
    numberReady: owned.filter(isReady).length,
    numberMisscheduled: owned.filter((p) => !cluster.nodes.has(p.spec.nodeName ?? "")).length,
  };
  if (!deepEqual(status, ds.status)) ds.status = status;
}

/** The disruption controller's arithmetic (k/k pkg/controller/disruption). */
export function syncBudget(cluster: SandboxCluster, store: Store, pdb: PodDisruptionBudget, now: number): void {
  const pods = [...store.pods.values()].filter((p) => selectorMatches(pdb.spec.selector, p.metadata.labels));
  const disruptedPods: Record<string, string> = {};
  for (const [name, at] of Object.entries(pdb.status.disruptedPods ?? {})) {
    const pod = store.pods.get(name);
    if (pod && !pod.metadata.deletionTimestamp && Date.parse(at) + DELETION_TIMEOUT_MS > now) disruptedPods[name] = at;
  }
  const expectedPods = pods.filter((p) => !p.metadata.deletionTimestamp).length;
  const currentHealthy = pods.filter((p) => !p.metadata.deletionTimestamp && isReady(p) && !(p.metadata.name in disruptedPods)).length;
  const desiredHealthy = desired(pdb, expectedPods);
  const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
  const allowed = disruptionsAllowed > 0;
  const previous = pdb.status.conditions?.find((c) => c.type === "DisruptionAllowed");
  const generation = pdb.metadata.generation ?? 1;
  const condition = {
    type: "DisruptionAllowed",
    status: allowed ? "True" : "False",
    observedGeneration: generation,
    lastTransitionTime: previous && previous.status === (allowed ? "True" : "False") ? previous.lastTransitionTime : cluster.timestamp(now),
    reason: allowed ? "SufficientPods" : "InsufficientPods",
    message: "",
  };
  const status: PodDisruptionBudget["status"] = {
    observedGeneration: generation,
    ...(Object.keys(disruptedPods).length > 0 ? { disruptedPods } : {}),
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: [condition],
  };
  if (!deepEqual(status, pdb.status)) {
    pdb.status = status;
    pdb.metadata.resourceVersion = cluster.nextResourceVersion();
  }
}

function desired(pdb: PodDisruptionBudget, expected: number): number {
  const { minAvailable, maxUnavailable } = pdb.spec;
  if (minAvailable !== undefined) return scaled(minAvailable, expected);
  if (maxUnavailable !== undefined) return Math.max(0, expected - scaled(maxUnavailable, expected));
  return expected;
}

/** An int-or-percent scaled against `total`, rounding up as the controller does. */
function scaled(value: number | string, total: number): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  return match ? Math.ceil((Number(match[1]) * total) / 100) : 0;
}
