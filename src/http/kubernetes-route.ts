import type { Context, Hono } from "hono";
import type { EvictionRequest } from "../eviction/request.js";
import { checkAddress } from "./address-limit.js";
import { checkKey } from "./authenticate.js";
import { limitBody } from "./body-limit.js";
import type { GatewayEnv } from "./context.js";
import { decisionOf, runEviction } from "./eviction-flow.js";
import { validateEviction } from "./eviction-input.js";
import { failureStatus, type Status } from "../eviction/kubernetes-status.js";
import { toKubernetesAnswer } from "./kubernetes-status.js";

export const KUBERNETES_EVICTION_PATH = "/k8s/:cluster/api/v1/namespaces/:namespace/pods/:pod/eviction";

/**
 * A slice of the Kubernetes API in front of each cluster, so kubectl, client-go and
 * client-node evict through the gateway unchanged: point a kubeconfig's server at
 * <gateway>/k8s/<cluster> and use an API key as its token.
 */
export function kubernetesRoute(app: Hono<GatewayEnv>): void {
  const guard = async (c: Context<GatewayEnv>): Promise<Response | null> => {
    const denied = await checkAddress(c);
    if (denied) return toResponse(c, toKubernetesAnswer(denied.result, 429, undefined));
    const refused = await checkKey(c);
    if (refused) return toResponse(c, toKubernetesAnswer(refused, 401, undefined));
    return null;
  };

  app.get("/k8s/:cluster/api", async (c) => (await guard(c)) ?? c.json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] }));
  app.get("/k8s/:cluster/apis", async (c) => (await guard(c)) ?? c.json({ kind: "APIGroupList", apiVersion: "v1", groups: [] }));
  app.get("/k8s/:cluster/api/v1", async (c) =>
    (await guard(c)) ??
    c.json({
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [{ name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] }],
    }),
  );

  app.post(
    KUBERNETES_EVICTION_PATH,
    limitBody(1, (c, limit) => toResponse(c, { status: 413, body: failureStatus(413, "RequestEntityTooLarge", `the request body is larger than ${limit} bytes`), headers: {} })),
    async (c) => {
      const refused = await guard(c);
      if (refused) return refused;
      const params = { cluster: c.req.param("cluster"), namespace: c.req.param("namespace"), pod: c.req.param("pod") };
      const requestId = c.get("requestId");

      const decoded = decodeEviction(c.get("body"), params.namespace, params.pod, c.req.queries("dryRun") ?? []);
      if ("code" in decoded) {
        c.set("decision", { outcome: "invalid", status: decoded.code, dryRun: false });
        return toResponse(c, { status: decoded.code, body: decoded, headers: {} });
      }
      const input = validateEviction(requestId, params, decoded);
      if (!input.ok) {
        c.set("decision", { outcome: "invalid", status: 400, dryRun: false });
        return toResponse(c, toKubernetesAnswer(input.result, 400, undefined));
      }
      const out = await runEviction(c.get("deps"), requestId, c.get("caller"), input.target, input.request);
      c.set("decision", decisionOf(out, input.request));
      return toResponse(c, toKubernetesAnswer(out.result, out.status, out.reply));
    },
  );
}

/** Reads a policy/v1 or policy/v1beta1 Eviction and checks it as kube-apiserver does (its messages included). */
function decodeEviction(text: string, namespace: string, pod: string, queryDryRun: string[]): EvictionRequest | Status {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return failureStatus(400, "BadRequest", "the body of the request was in an unknown format - accepted media types include: application/json");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return failureStatus(400, "BadRequest", "the body of the request was in an unknown format - accepted media types include: application/json");
  const e = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; deleteOptions?: Record<string, unknown> };
  const apiVersion = e.apiVersion ?? "policy/v1";
  if (apiVersion !== "policy/v1" && apiVersion !== "policy/v1beta1") {
    return failureStatus(400, "BadRequest", `the API version in the data (${String(apiVersion).slice(0, 64)}) does not match the expected API version (policy/v1)`);
  }
  if ((e.kind ?? "Eviction") !== "Eviction") return failureStatus(400, "BadRequest", `the kind in the data (${String(e.kind).slice(0, 64)}) does not match the expected kind (Eviction)`);
  const ns = e.metadata?.namespace ?? "";
  if (ns !== "" && ns !== namespace) return failureStatus(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
  if ((e.metadata?.name ?? "") !== pod) return failureStatus(400, "BadRequest", "name in URL does not match name in Eviction object");

  const options = e.deleteOptions ?? {};
  const dryRun = [...queryDryRun, ...(Array.isArray(options.dryRun) ? (options.dryRun as unknown[]) : [])];
  if (dryRun.some((v) => v !== "All")) {
    return failureStatus(422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: supported values: "All"', {
      kind: "DeleteOptions",
      causes: [{ reason: "FieldValueNotSupported", message: 'Unsupported value: supported values: "All"', field: "dryRun" }],
    });
  }
  const policy = options.propagationPolicy;
  if (policy !== undefined && policy !== null && !["Foreground", "Background", "Orphan"].includes(String(policy))) {
    const detail = `Unsupported value: "${String(policy).slice(0, 64)}": supported values: "Foreground", "Background", "Orphan"`;
    return failureStatus(422, "Invalid", `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: ${detail}`, {
      kind: "DeleteOptions",
      causes: [{ reason: "FieldValueNotSupported", message: detail, field: "propagationPolicy" }],
    });
  }
  const preconditions = options.preconditions as { uid?: unknown; resourceVersion?: unknown } | undefined;
  return {
    ...(dryRun.length ? { dryRun: true } : {}),
    ...(typeof options.gracePeriodSeconds === "number" ? { gracePeriodSeconds: options.gracePeriodSeconds } : {}),
    ...(preconditions && (preconditions.uid || preconditions.resourceVersion)
      ? {
          preconditions: {
            ...(typeof preconditions.uid === "string" && preconditions.uid ? { uid: preconditions.uid } : {}),
            ...(typeof preconditions.resourceVersion === "string" && preconditions.resourceVersion ? { resourceVersion: preconditions.resourceVersion } : {}),
          },
        }
      : {}),
  };
}

function toResponse(c: Context<GatewayEnv>, answer: { status: number; body: Status | string; headers: Record<string, string> }): Response {
  const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
  return c.body(body, answer.status as never, { ...answer.headers, "Content-Type": "application/json" });
}
