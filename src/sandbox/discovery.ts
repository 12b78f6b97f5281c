import type { Context, Hono } from "hono";

/**
 * The discovery documents of the resources the sandbox serves, as kube-apiserver v1.28 writes
 * them: the legacy ones (/api, /apis, /api/v1, /apis/{group}/{version}) and, when a client asks
 * for it in Accept (kubectl 1.32 does), the aggregated APIGroupDiscoveryList (v2beta1 in 1.28).
 */

interface ResourceEntry {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** A subresource answering another group's kind (pods/eviction → policy/v1 Eviction). */
  group?: string;
  version?: string;
}

interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceEntry[];
}

export const SANDBOX_API: GroupVersion[] = [
  {
    group: "",
    version: "v1",
    resources: [
      { name: "namespaces", singularName: "namespace", namespaced: false, kind: "Namespace", verbs: ["create", "delete", "get", "list"], shortNames: ["ns"] },
      { name: "nodes", singularName: "node", namespaced: false, kind: "Node", verbs: ["create", "get", "list", "patch"], shortNames: ["no"] },
      { name: "nodes/status", singularName: "", namespaced: false, kind: "Node", verbs: ["get", "patch"] },
      { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["create", "delete", "get", "list", "patch"], shortNames: ["po"], categories: ["all"] },
      { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
      { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: ["get", "patch"] },
    ],
  },
  {
    group: "apps",
    version: "v1",
    resources: [
      { name: "daemonsets", singularName: "daemonset", namespaced: true, kind: "DaemonSet", verbs: ["create", "get", "list"], shortNames: ["ds"], categories: ["all"] },
      { name: "replicasets", singularName: "replicaset", namespaced: true, kind: "ReplicaSet", verbs: ["create", "get", "list"], shortNames: ["rs"], categories: ["all"] },
      { name: "deployments", singularName: "deployment", namespaced: true, kind: "Deployment", verbs: ["create", "get", "list"], shortNames: ["deploy"], categories: ["all"] },
    ],
  },
  {
    group: "policy",
    version: "v1",
    resources: [
      { name: "poddisruptionbudgets", singularName: "poddisruptionbudget", namespaced: true, kind: "PodDisruptionBudget", verbs: ["create", "delete", "get", "list", "patch"], shortNames: ["pdb"] },
      { name: "poddisruptionbudgets/status", singularName: "", namespaced: true, kind: "PodDisruptionBudget", verbs: ["get", "patch"] },
    ],
  },
];

const AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/** Whether the client accepts the aggregated form (it lists it in Accept; plain JSON is its fallback). */
function wantsAggregated(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept.split(",").some((part) => /as=APIGroupDiscoveryList/.test(part) && /g=apidiscovery\.k8s\.io/.test(part) && /v=v2beta1/.test(part));
}

export function resourceList(gv: GroupVersion) {
  return {
    kind: "APIResourceList",
    ...(gv.group ? { apiVersion: "v1" } : {}),
    groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
    resources: gv.resources.map((r) => ({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      ...(r.group ? { group: r.group, version: r.version } : {}),
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    })),
  };
}

function aggregated(groups: GroupVersion[]) {
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2beta1",
    metadata: {},
    items: groups.map((gv) => ({
      metadata: gv.group ? { name: gv.group, creationTimestamp: null } : { creationTimestamp: null },
      versions: [
        {
          version: gv.version,
          resources: gv.resources
            .filter((r) => !r.name.includes("/"))
            .map((r) => ({
              resource: r.name,
              responseKind: { group: gv.group, version: gv.version, kind: r.kind },
              scope: r.namespaced ? "Namespaced" : "Cluster",
              singularResource: r.singularName,
              verbs: r.verbs,
              ...(r.shortNames ? { shortNames: r.shortNames } : {}),
              ...(r.categories ? { categories: r.categories } : {}),
              subresources: gv.resources
                .filter((s) => s.name.startsWith(`${r.name}/`))
                .map((s) => ({ subresource: s.name.slice(r.name.length + 1), responseKind: { group: s.group ?? gv.group, version: s.version ?? gv.version, kind: s.kind }, verbs: s.verbs })),
            })),
          freshness: "Current",
        },
      ],
    })),
  };
}

/** GET /api, /apis and each group version's resource list. */
export function registerDiscovery(app: Hono<any>, groups: GroupVersion[] = SANDBOX_API): void {
  const core = groups.filter((g) => g.group === "");
  const named = groups.filter((g) => g.group !== "");
  const send = (c: Context, legacy: object, all: GroupVersion[]) => {
    c.header("Vary", "Accept");
    if (!wantsAggregated(c)) return c.json(legacy);
    return c.body(JSON.stringify(aggregated(all)), 200, { "Content-Type": AGGREGATED });
  };
  app.get("/api", (c) => send(c, { kind: "APIVersions", versions: core.map((g) => g.version), serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: new URL(c.req.url).host }] }, core));
  app.get("/apis", (c) =>
    send(
      c,
      {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: named.map((g) => {
          const version = { groupVersion: `${g.group}/${g.version}`, version: g.version };
          return { name: g.group, versions: [version], preferredVersion: version };
        }),
      },
      named,
    ),
  );
  for (const gv of groups) {
    app.get(gv.group ? `/apis/${gv.group}/${gv.version}` : `/api/${gv.version}`, (c) => c.json(resourceList(gv)));
  }
}
