import type { Context, Hono } from "hono";
import { gatewayResult } from "../../eviction/build.js";
import { dns1123Label, dns1123Subdomain } from "../../eviction/names.js";
import type { FieldError } from "../../eviction/result.js";
import { answerOf, Refusal } from "../../service/answer.js";
import { forward, type ForwardCall } from "../../service/forward.js";
import type { KubeRequest } from "../../service/ports.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, authenticate, limitBody, targetOf } from "../guards.js";
import { renderStatus } from "./render.js";

/**
 * The verbs kubectl drain, kubectl get pods and kubectl version send, passed to the cluster
 * after the key's scope and the gateway's limits allow them:
 * - nodes get, and patch that only sets spec.unschedulable (cordon, uncordon): `drain`;
 * - pods list in a namespace, pods get, a DaemonSet get, budgets get and list: `read` in that namespace;
 * - pods list across namespaces (kubectl drain: ?fieldSelector=spec.nodeName=<node>): `read` somewhere
 *   on the cluster, and only the pods in namespaces the key may read are passed on;
 * - /version: any key whose scopes name the cluster.
 */

/** List parameters passed on; `timeout` (kubectl's own client timeout) is dropped; any other is refused, never ignored. */
const LIST_PARAMS = ["labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "resourceVersionMatch"];
const MAX_PARAM_LENGTH = 1024;
const CORDON_TYPES = ["application/strategic-merge-patch+json", "application/merge-patch+json"];

export function registerForwarded(k8s: Hono<GatewayEnv>): void {
  const guarded = [addressLimit, authenticate] as const;
  const base = "/k8s/:cluster";

  k8s.get(`${base}/version`, ...guarded, (c) => send(c, { namespace: "", needs: "cluster-name", summary: "GET /version", request: get(c, "/version", []) }));

  k8s.get(`${base}/api/v1/nodes/:node`, ...guarded, (c) => {
    const node = name(c, "node", dns1123Subdomain);
    return send(c, { namespace: "", needs: { action: "drain", on: "cluster" }, summary: `GET nodes/${node}`, request: get(c, `/api/v1/nodes/${node}`, []) });
  });
  k8s.patch(`${base}/api/v1/nodes/:node`, ...guarded, limitBody(), (c) => {
    const node = name(c, "node", dns1123Subdomain);
    get(c, "", []); // no query parameters
    const { body, contentType, unschedulable } = cordonPatch(c);
    const summary = `PATCH nodes/${node} ${unschedulable ? "cordon" : "uncordon"}`;
    return send(c, { namespace: "", needs: { action: "drain", on: "cluster" }, summary, request: { method: "PATCH", path: `/api/v1/nodes/${node}`, body, contentType } });
  });

  k8s.get(`${base}/api/v1/pods`, ...guarded, (c) =>
    send(c, { namespace: "", needs: { action: "read", on: "cluster" }, filterByNamespace: true, summary: `LIST pods${selectorSummary(c)}`, request: get(c, "/api/v1/pods", LIST_PARAMS) }),
  );
  k8s.get(`${base}/api/v1/namespaces/:namespace/pods`, ...guarded, (c) => {
    const ns = name(c, "namespace", dns1123Label);
    return send(c, { namespace: ns, needs: { action: "read", on: "namespace" }, summary: `LIST pods${selectorSummary(c)}`, request: get(c, `/api/v1/namespaces/${ns}/pods`, LIST_PARAMS) });
  });
  k8s.get(`${base}/api/v1/namespaces/:namespace/pods/:pod`, ...guarded, (c) => {
    const ns = name(c, "namespace", dns1123Label);
    const pod = name(c, "pod", dns1123Subdomain);
    return send(c, { namespace: ns, pod, needs: { action: "read", on: "namespace" }, summary: `GET pods/${pod}`, request: get(c, `/api/v1/namespaces/${ns}/pods/${pod}`, []) });
  });
  k8s.get(`${base}/apis/apps/v1/namespaces/:namespace/daemonsets/:name`, ...guarded, (c) => {
    const ns = name(c, "namespace", dns1123Label);
    const ds = name(c, "name", dns1123Subdomain);
    return send(c, { namespace: ns, needs: { action: "read", on: "namespace" }, summary: `GET daemonsets/${ds}`, request: get(c, `/apis/apps/v1/namespaces/${ns}/daemonsets/${ds}`, []) });
  });
  k8s.get(`${base}/apis/policy/v1/namespaces/:namespace/poddisruptionbudgets`, ...guarded, (c) => {
    const ns = name(c, "namespace", dns1123Label);
    return send(c, { namespace: ns, needs: { action: "read", on: "namespace" }, summary: `LIST poddisruptionbudgets${selectorSummary(c)}`, request: get(c, `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`, LIST_PARAMS) });
  });
  k8s.get(`${base}/apis/policy/v1/namespaces/:namespace/poddisruptionbudgets/:name`, ...guarded, (c) => {
    const ns = name(c, "namespace", dns1123Label);
    const pdb = name(c, "name", dns1123Subdomain);
    return send(c, { namespace: ns, needs: { action: "read", on: "namespace" }, summary: `GET poddisruptionbudgets/${pdb}`, request: get(c, `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/${pdb}`, []) });
  });
}

async function send(c: Context<GatewayEnv>, call: Omit<ForwardCall, "cluster">): Promise<Response> {
  const cluster = name(c, "cluster", dns1123Label);
  return renderStatus(c, await forward(c.get("deps"), c.get("requestId"), c.get("caller"), { ...call, cluster }));
}

function refuse(c: Context<GatewayEnv>, message: string, errors?: FieldError[], status?: number): never {
  const result = gatewayResult(c.get("requestId"), targetOf(c), status === 403 ? "forbidden" : "invalid", { message });
  throw new Refusal(answerOf(result, { ...(errors ? { errors } : {}), ...(status ? { status } : {}) }));
}

/** A path parameter that must be a Kubernetes name: anything else is refused before it leaves the gateway. */
function name(c: Context<GatewayEnv>, param: string, rule: typeof dns1123Label): string {
  const value = c.req.param(param) ?? "";
  const parsed = rule.safeParse(value);
  if (!parsed.success) refuse(c, `The ${param} in the path is not a valid Kubernetes name: ${parsed.error.issues[0]?.message ?? "invalid"}.`, [{ detail: parsed.error.issues[0]?.message ?? "invalid", pointer: `#/path/${param}` }]);
  return value;
}

/** A GET of `path` with the allowed query parameters passed on (each once, bounded in length). */
function get(c: Context<GatewayEnv>, path: string, allowed: string[]): KubeRequest {
  const query = new URLSearchParams();
  for (const [key, value] of new URL(c.req.url).searchParams) {
    if (key === "timeout") continue;
    if (!allowed.includes(key)) refuse(c, `This route does not take the query parameter ${key.slice(0, 32)}.`, [{ detail: "unknown query parameter", pointer: `#/query/${key.slice(0, 32)}` }]);
    if (query.has(key) || value.length > MAX_PARAM_LENGTH) refuse(c, `The query parameter ${key} is given twice or is longer than ${MAX_PARAM_LENGTH} characters.`);
    query.set(key, value);
  }
  const text = query.toString();
  return { method: "GET", path: text ? `${path}?${text}` : path };
}

/** The only patch a node takes here: `{"spec":{"unschedulable":true|false|null}}`, as kubectl cordon and uncordon send it. */
function cordonPatch(c: Context<GatewayEnv>): { body: string; contentType: string; unschedulable: boolean } {
  const contentType = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (!CORDON_TYPES.includes(contentType)) refuse(c, `A node patch must be ${CORDON_TYPES.join(" or ")}.`, undefined, 415);
  let patch: unknown;
  try {
    patch = JSON.parse(c.get("body"));
  } catch {
    refuse(c, "The patch is not JSON.");
  }
  const spec = (patch as { spec?: unknown } | null)?.spec as Record<string, unknown> | undefined;
  const only = (o: unknown, key: string) => o !== null && typeof o === "object" && !Array.isArray(o) && Object.keys(o).length === 1 && key in o;
  const value = spec?.unschedulable;
  if (!only(patch, "spec") || !only(spec, "unschedulable") || !(typeof value === "boolean" || value === null)) {
    refuse(c, "Through the gateway a node patch may only cordon or uncordon: {\"spec\":{\"unschedulable\":true}} or false/null.", undefined, 403);
  }
  return { body: JSON.stringify({ spec: { unschedulable: value } }), contentType, unschedulable: value === true };
}

/** The selectors of a list as the audit line keeps them: a node name as it is (a valid name), anything else only by its length. */
function selectorSummary(c: Context<GatewayEnv>): string {
  const field = c.req.query("fieldSelector");
  const labels = c.req.query("labelSelector");
  const node = /^spec\.nodeName=(.*)$/.exec(field ?? "")?.[1];
  const parts = [
    ...(field ? [node !== undefined && dns1123Subdomain.safeParse(node).success ? `fieldSelector=spec.nodeName=${node}` : `fieldSelector (${field.length} chars)`] : []),
    ...(labels ? [`labelSelector (${labels.length} chars)`] : []),
  ];
  return parts.length ? ` ${parts.join(" ")}` : "";
}
