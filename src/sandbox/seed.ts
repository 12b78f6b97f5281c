import { reconcile } from "./controller.js";
import type { SandboxCluster } from "./cluster.js";
import { FAULT_ANNOTATION, type Pod } from "./objects.js";

/** The faults a pod can ask for (see evict.ts), each seeded as a pod of that name in namespace "chaos". */
export const FAULTS = ["throttle", "shutdown", "timeout", "hang", "error", "garbage", "slow"] as const;

/**
 * The demo world the embedded default serves:
 * - demo/web-1..3 behind budget "web" (one disruption at a time), owned by ReplicaSet "web", which replaces an evicted pod within seconds;
 * - demo/solo with no budget;
 * - demo/api-1, demo/api-2, each matched by two budgets ("api" and "api-all");
 * - chaos/<fault> for every fault, so callers can see each failure a cluster can produce.
 */
export function seedDemo(cluster: SandboxCluster): void {
  cluster.createNamespace({ metadata: { name: "demo" } });
  const web = cluster.createReplicaSet("demo", {
    metadata: { name: "web" } as Pod["metadata"],
    spec: { replicas: 3, selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } } },
  });
  const owner = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: web.metadata.uid, controller: true }];
  for (const name of ["web-1", "web-2", "web-3"]) runningPod(cluster, "demo", name, { app: "web" }, { ownerReferences: owner });
  cluster.createPdb("demo", { metadata: { name: "web" } as Pod["metadata"], spec: { maxUnavailable: 1, selector: { matchLabels: { app: "web" } } } });

  runningPod(cluster, "demo", "solo", { app: "solo" });

  for (const name of ["api-1", "api-2"]) runningPod(cluster, "demo", name, { app: "api", tier: "backend" });
  cluster.createPdb("demo", { metadata: { name: "api" } as Pod["metadata"], spec: { minAvailable: 1, selector: { matchLabels: { app: "api" } } } });
  cluster.createPdb("demo", { metadata: { name: "api-all" } as Pod["metadata"], spec: { maxUnavailable: 1, selector: { matchLabels: { tier: "backend" } } } });

  cluster.createNamespace({ metadata: { name: "chaos" } });
  for (const fault of FAULTS) runningPod(cluster, "chaos", fault, { app: "chaos" }, { annotations: { [FAULT_ANNOTATION]: fault } });
  reconcile(cluster);
}

export function runningPod(
  cluster: SandboxCluster,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  extra: Partial<Pod["metadata"]> = {},
): Pod {
  const at = cluster.timestamp();
  return cluster.createPod(namespace, {
    metadata: { name, labels, ...extra } as Pod["metadata"],
    spec: { nodeName: "sandbox-node", containers: [{ name: "main", image: "nginx" }] },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True" as const, lastProbeTime: null, lastTransitionTime: at })),
      startTime: at,
    },
  });
}
