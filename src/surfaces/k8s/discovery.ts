/**
 * The discovery documents of /k8s/{cluster}: only what the route serves, so kubectl finds
 * nodes, pods, pods/eviction, DaemonSets and budgets and nothing it would then be refused.
 * Legacy documents only: kubectl asks for the aggregated form first and falls back to these.
 */
const resource = (name: string, kind: string, namespaced: boolean, verbs: string[], extra: Record<string, unknown> = {}) => ({
  name,
  singularName: name.includes("/") ? "" : kind.toLowerCase(),
  namespaced,
  kind,
  verbs,
  ...extra,
});

export const API_VERSIONS = { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };

const version = (group: string) => ({ groupVersion: `${group}/v1`, version: "v1" });
export const API_GROUPS = {
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: ["apps", "policy"].map((name) => ({ name, versions: [version(name)], preferredVersion: version(name) })),
};

export const RESOURCE_LISTS: Record<string, object> = {
  "api/v1": {
    kind: "APIResourceList",
    groupVersion: "v1",
    resources: [
      resource("nodes", "Node", false, ["get", "patch"], { shortNames: ["no"] }),
      resource("pods", "Pod", true, ["get", "list"], { shortNames: ["po"], categories: ["all"] }),
      resource("pods/eviction", "Eviction", true, ["create"], { group: "policy", version: "v1" }),
    ],
  },
  "apis/apps/v1": { kind: "APIResourceList", apiVersion: "v1", groupVersion: "apps/v1", resources: [resource("daemonsets", "DaemonSet", true, ["get"], { shortNames: ["ds"] })] },
  "apis/policy/v1": {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: "policy/v1",
    resources: [resource("poddisruptionbudgets", "PodDisruptionBudget", true, ["get", "list"], { shortNames: ["pdb"] })],
  },
};
