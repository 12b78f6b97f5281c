import { reconcile } from "./controller.js";
import type { SandboxCluster } from "./cluster.js";
import { IMPLICIT_NODE } from "./cluster.js";
import { FAULT_ANNOTATION, MIRROR_ANNOTATION, type Pod } from "./objects.js";

/** The faults a pod can ask for (see evict.ts), each seeded as a pod of that name in namespace "chaos". */
export const FAULTS = ["throttle", "shutdown", "timeout", "hang", "error", "garbage", "slow"] as const;

/**
 * The demo world the embedded default serves:
 * - demo/web-1..3 behind budget "web" (one disruption at a time), owned by ReplicaSet "web", which replaces an evicted pod within seconds;
 * - demo/solo with no budget;
 * - demo/api-1, demo/api-2, each matched by two budgets ("api" and "api-all");
 * - chaos/<fault> for every fault, so callers can see each failure a cluster can produce;
 * - nodes sandbox-node (all of the above) and worker-1..3; worker-1 runs 20 pods of namespace shop
 *   (ReplicaSets cart ×12 with an emptyDir, budget maxUnavailable 2, and search ×8, budget maxUnavailable 1),
 *   so a drain of worker-1 is paced by both budgets, plus a kube-system DaemonSet pod on every node and
 *   a mirror pod on worker-1, which a drain leaves alone.
 */
export function seedDemo(cluster: SandboxCluster): void {
  for (const name of [IMPLICIT_NODE, ...WORKERS]) cluster.createNode({ metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" } } as unknown as Pod["metadata"] });
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

  seedDrainDemo(cluster);
  reconcile(cluster);
}

/** The nodes besides sandbox-node; worker-1 is the one to drain. */
export const WORKERS = ["worker-1", "worker-2", "worker-3"] as const;

function seedDrainDemo(cluster: SandboxCluster): void {
  cluster.createNamespace({ metadata: { name: "kube-system" } });
  const agent = cluster.createDaemonSet("kube-system", {
    metadata: { name: "node-agent" } as Pod["metadata"],
    spec: { selector: { matchLabels: { app: "node-agent" } }, template: { metadata: { labels: { app: "node-agent" } }, spec: { containers: [{ name: "agent", image: "busybox" }] } } },
  });
  for (const node of cluster.nodes.keys()) {
    runningPod(cluster, "kube-system", `node-agent-${node}`, { app: "node-agent" }, { ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "node-agent", uid: agent.metadata.uid, controller: true }] }, node);
  }
  const worker = cluster.node("worker-1");
  runningPod(cluster, "kube-system", "kube-proxy-worker-1", { "k8s-app": "kube-proxy" }, {
    annotations: { [MIRROR_ANNOTATION]: "3f1c2b8e9d0a4c5b6e7f8091a2b3c4d5", "kubernetes.io/config.source": "file" },
    ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "worker-1", uid: worker.metadata.uid, controller: true }],
  }, "worker-1");

  cluster.createNamespace({ metadata: { name: "shop" } });
  for (const [app, replicas, maxUnavailable, volumes] of [
    ["cart", 12, 2, [{ name: "cache", emptyDir: {} }]],
    ["search", 8, 1, []],
  ] as const) {
    const template = { metadata: { labels: { app } }, spec: { containers: [{ name: app, image: "nginx" }], volumes: [...volumes] } };
    const rs = cluster.createReplicaSet("shop", { metadata: { name: app } as Pod["metadata"], spec: { replicas, selector: { matchLabels: { app } }, template } });
    const owner = [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: app, uid: rs.metadata.uid, controller: true }];
    for (let i = 1; i <= replicas; i++) runningPod(cluster, "shop", `${app}-${i}`, { app }, { ownerReferences: owner }, "worker-1", template.spec);
    cluster.createPdb("shop", { metadata: { name: app } as Pod["metadata"], spec: { maxUnavailable, selector: { matchLabels: { app } } } });
  }
}

export function runningPod(
  cluster: SandboxCluster,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  extra: Partial<Pod["metadata"]> = {},
  nodeName: string = IMPLICIT_NODE,
  spec: Record<string, unknown> = { containers: [{ name: "main", image: "nginx" }] },
): Pod {
  const at = cluster.timestamp();
  return cluster.createPod(namespace, {
    metadata: { name, labels, ...extra } as Pod["metadata"],
    spec: { ...spec, nodeName },
    status: {
      phase: "Running",
      conditions: ["Initialized", "Ready", "ContainersReady", "PodScheduled"].map((type) => ({ type, status: "True" as const, lastProbeTime: null, lastTransitionTime: at })),
      startTime: at,
    },
  });
}
