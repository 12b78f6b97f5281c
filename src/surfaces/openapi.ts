import * as z from "zod";
import { GatewayConfig } from "../config/schema.js";
import { clusterName, dns1123Subdomain, namespaceName, podName } from "../eviction/names.js";
import { BatchItem, BatchRequest, BatchResult } from "../eviction/batch.js";
import { OUTCOMES, Outcome } from "../eviction/outcome.js";
import { EvictionRequest } from "../eviction/request.js";
import { Attempts, DisruptionBudget, EvictionResult, Problem, UpstreamSummary } from "../eviction/result.js";
import { DrainBudget, DrainPod, DrainRequest, Operation } from "../eviction/operation.js";
import { OutOfScope, Plan, PlannedPod, PlanRequest } from "../eviction/plan.js";
import { BudgetList, BudgetSummary, PodList, PodSummary } from "../eviction/pods.js";
import { SelectionRequest, SelectionResult, Workload } from "../eviction/selection.js";
import { MAX_SELECTOR_LENGTH } from "../eviction/selector.js";
import { EvictionWithWait, WaitReport } from "../eviction/wait.js";
import { ClusterInfo, ClusterList } from "./v1/app.js";

/**
 * Builds openapi/openapi.json from the same zod schemas that validate the wire.
 * Only `npm run openapi` and the drift test import this: the app serves the generated
 * file, so the generator stays out of the Worker bundle.
 */
export function buildOpenApi(version: string): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [
    Outcome,
    UpstreamSummary,
    DisruptionBudget,
    Attempts,
    EvictionRequest,
    EvictionResult,
    Problem,
    ClusterInfo,
    ClusterList,
    BatchItem,
    BatchRequest,
    BatchResult,
    WaitReport,
    EvictionWithWait,
    PodSummary,
    BudgetSummary,
    PodList,
    BudgetList,
    Workload,
    SelectionRequest,
    SelectionResult,
    PlanRequest,
    PlannedPod,
    OutOfScope,
    Plan,
    DrainRequest,
    DrainPod,
    DrainBudget,
    Operation,
  ]) {
    registry.add(schema, { id: z.globalRegistry.get(schema)!.id! });
  }
  // A label selector is a string that is made canonical (a transform): described as the string a caller writes.
  const generated = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    uri: (id) => `#/components/schemas/${id}`,
    override: (ctx) => {
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === "pipe" && !("type" in ctx.jsonSchema)) Object.assign(ctx.jsonSchema, { type: "string", maxLength: MAX_SELECTOR_LENGTH });
    },
    unrepresentable: "any",
  }) as { schemas: Record<string, unknown> };
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([id, schema]) => [id, strip(schema)]));
  const inline = (schema: z.ZodType) => strip(z.toJSONSchema(schema, { target: "draft-2020-12" }));
  const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
  const header = (description: string) => ({ description, schema: { type: "string" } });
  const retryHeaders = {
    "Retry-After": header("Seconds to wait before retrying; sent with every retryable answer."),
    "RateLimit-Policy": header("The gateway's rate-limit policies (draft-ietf-httpapi-ratelimit-headers-11)."),
    RateLimit: header("What is left of each policy (draft-ietf-httpapi-ratelimit-headers-11)."),
  };

  const errorStatuses = new Map<number, Outcome[]>();
  for (const outcome of Outcome.options) {
    const status = OUTCOMES[outcome].httpStatus;
    if (status >= 400) errorStatuses.set(status, [...(errorStatuses.get(status) ?? []), outcome]);
  }
  errorStatuses.set(413, ["invalid"]);
  errorStatuses.set(422, ["invalid"]);
  errorStatuses.set(415, ["invalid"]);
  errorStatuses.set(504, ["unavailable"]);
  errorStatuses.set(503, [...(errorStatuses.get(503) ?? []), "unavailable"]);
  const problemResponses = Object.fromEntries(
    [...errorStatuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, outcomes]) => [
        String(status),
        {
          description: outcomes.map((o) => `${o}: ${OUTCOMES[o].title}`).join("; "),
          headers: retryHeaders,
          content: { "application/problem+json": { schema: ref("Problem") } },
        },
      ]),
  );

  const pathParam = (name: string, schema: z.ZodType, description: string) => ({ name, in: "path", required: true, description, schema: inline(schema) });
  const podParams = [
    pathParam("cluster", clusterName, "A cluster registered with the gateway."),
    pathParam("namespace", namespaceName, "The pod's namespace."),
    pathParam("pod", podName, "The pod's name."),
  ];
  const unauthorized = { description: "No or bad API key.", content: { "application/problem+json": { schema: ref("Problem") } } };

  const readiness = readinessSchema();
  const document = {
    openapi: "3.1.0",
    info: {
      title: "Eviction gateway",
      version,
      description: "Evict Kubernetes pods safely through one authenticated endpoint: PodDisruptionBudgets respected, every answer normalised into one outcome with a retry hint.",
    },
    // Relative: the gateway that serves this document at /openapi.json is the one it describes.
    servers: [{ url: "/", description: "The gateway serving this document." }],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key from `npm run keygen` (egw_<id>_<secret>), or a JWT from an issuer in oidc.issuers (GitHub Actions, GitLab CI, Kubernetes service accounts)." } },
      schemas,
    },
    security: [{ apiKey: [] }],
    paths: {
      "/v1/clusters/{cluster}/namespaces/{namespace}/pods/{pod}/eviction": {
        post: {
          operationId: "evictPod",
          summary: "Evict one pod, respecting its PodDisruptionBudget",
          parameters: [
            ...podParams,
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description:
                'An sf-string such as "8e03978e-…", scoped to the API key. The same key and request replays the stored answer (with Idempotent-Replayed: true); a different request with it answers 422; a duplicate while the first runs answers 409.',
              schema: { type: "string", maxLength: 257 },
            },
          ],
          requestBody: { required: false, content: { "application/json": { schema: ref("EvictionWithWait") } } },
          responses: {
            "200": { description: "evicted, or would-evict for a dry run.", headers: { ...retryHeaders, "Idempotent-Replayed": header("true when this is a stored answer replayed for an Idempotency-Key.") }, content: { "application/json": { schema: ref("EvictionResult") } } },
            ...problemResponses,
          },
        },
      },
      "/v1/evictions": {
        post: {
          operationId: "evictPods",
          summary: "Evict up to 100 pods; each item is authorized and rate-limited on its own",
          requestBody: { required: true, content: { "application/json": { schema: ref("BatchRequest") } } },
          responses: {
            "200": { description: "A result per item, in order, and a summary.", content: { "application/json": { schema: ref("BatchResult") } } },
            "400": { description: "The envelope is invalid (an item's own problems are its result).", content: { "application/problem+json": { schema: ref("Problem") } } },
            "413": { description: "The body is larger than 64 times eviction.maxBodyBytes.", content: { "application/problem+json": { schema: ref("Problem") } } },
            "415": { description: "The body is not sent as application/json.", content: { "application/problem+json": { schema: ref("Problem") } } },
            "401": unauthorized,
          },
        },
      },
      "/v1/hooks/{hook}": {
        post: {
          operationId: "webhook",
          security: [],
          summary: "A configured webhook: Standard Webhooks (signed) or Alertmanager (bearer token)",
          description:
            "Standard Webhooks: webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256 of id.timestamp.body) headers; the body is one eviction ({cluster, namespace, pod, …}) or a batch ({items}). Alertmanager: payload version 4; each firing alert becomes an eviction.",
          parameters: [{ name: "hook", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": {
              description:
                "A BatchResult, or for one signed eviction its EvictionResult: every final answer is 200 (Standard Webhooks senders retry anything else), a redelivered item is answered from its first result (Idempotent-Replayed: true); a retryable one keeps its status (429, 502, 503, 504) and Retry-After.",
            },
            "400": { description: "The body is not JSON, or not an eviction, a batch or an Alertmanager payload.", content: { "application/problem+json": { schema: ref("Problem") } } },
            "401": { description: "No such hook, or not signed or authenticated as the hook requires (the two look the same, so hook names cannot be probed).", content: { "application/problem+json": { schema: ref("Problem") } } },
            "413": { description: "The body is larger than 64 times eviction.maxBodyBytes.", content: { "application/problem+json": { schema: ref("Problem") } } },
          },
        },
      },
      "/v1/chat/slack": {
        post: {
          operationId: "slackCommand",
          security: [],
          summary: "A Slack app's slash command: evict <cluster> <namespace> <pod> [--dry-run], or help",
          description:
            "Signed by Slack (X-Slack-Signature: v0=HMAC-SHA256 of v0:{X-Slack-Request-Timestamp}:{body}, within 5 minutes); the body is Slack's form (application/x-www-form-urlencoded, at most 8 KiB). The caller is slack:{team_id}:{user_id}. An eviction not done within chat.slack.answerWithinMs is answered 'working on it', and its outcome posted to the command's response_url.",
          requestBody: { required: true, content: { "application/x-www-form-urlencoded": { schema: { type: "object", additionalProperties: { type: "string" } } } } },
          responses: {
            "200": {
              description: "A Slack message ({response_type: ephemeral | in_channel, text}): every answer to an authentic request, refusals included, as Slack shows nothing else. A button press (an interaction payload) is acknowledged with an empty 200; its outcome goes to the response_url.",
              content: { "application/json": { schema: { type: "object", required: ["response_type", "text"], properties: { response_type: { enum: ["ephemeral", "in_channel"] }, text: { type: "string" } } } } },
            },
            "401": { description: "Not signed by Slack (or no Slack command is configured).", content: { "application/json": { schema: { type: "object" } } } },
            "413": { description: "The body is larger than 8 KiB.", content: { "application/json": { schema: { type: "object" } } } },
            "429": { description: "Too many requests from this address.", content: { "application/json": { schema: { type: "object" } } } },
          },
        },
      },
      "/k8s/{cluster}/api/v1/namespaces/{namespace}/pods/{pod}/eviction": {
        post: {
          operationId: "kubernetesEviction",
          summary: "Kubernetes-compatible: a raw policy/v1 or policy/v1beta1 Eviction in, Kubernetes Status objects out",
          description: "Point a kubeconfig's server at <gateway>/k8s/<cluster> with an API key as its token, and kubectl, client-go and client-node evict through the gateway unchanged.",
          parameters: podParams,
          requestBody: { required: true, content: { "application/json": { schema: { type: "object", description: "A policy/v1 Eviction." } } } },
          responses: { "201": { description: "A Success Status." }, default: { description: "A Failure Status, as kube-apiserver writes it." } },
        },
      },
      ...operationPaths(ref, unauthorized, problemResponses, pathParam),
      "/v1/clusters": {
        get: {
          operationId: "listClusters",
          summary: "The clusters this API key's scopes cover (no credentials)",
          responses: { "200": { description: "The clusters.", content: { "application/json": { schema: ref("ClusterList") } } }, "401": unauthorized },
        },
      },
      "/healthz": { get: { operationId: "health", security: [], summary: "Liveness", responses: { "200": { description: "The process answers." } } } },
      "/readyz": {
        get: {
          operationId: "ready",
          security: [],
          summary: "Readiness, and what is wrong: per cluster (its circuits, its last access check) and for the state store; never a secret",
          description:
            "503 when this replica should get no traffic: it is draining, or the state store is down and fails closed. A cluster with problems is reported but does not make the replica unready (every replica sees the same cluster).",
          responses: { "200": { description: "Ready.", content: { "application/json": { schema: readiness } } }, "503": { description: "Draining, or the store is down and fails closed.", content: { "application/json": { schema: readiness } } } },
        },
      },
      "/openapi.json": { get: { operationId: "openapi", security: [], summary: "This document", responses: { "200": { description: "OpenAPI 3.1." } } } },
    },
  };
  // Answers any route can give before it runs: the client-address limit (checked before
  // authentication) and a draining gateway.
  const everywhere = {
    "429": { description: "rate-limited: a client-address policy denied, before authentication.", headers: retryHeaders, content: { "application/problem+json": { schema: ref("Problem") } } },
    "503": { description: "shutting-down: this replica is draining; retry on another.", headers: retryHeaders, content: { "application/problem+json": { schema: ref("Problem") } } },
  };
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
    if (path === "/healthz" || path === "/readyz") continue;
    for (const operation of Object.values(item)) for (const [status, response] of Object.entries(everywhere)) operation.responses[status] ??= response;
  }
  return document;
}

/** /readyz's body. */
function readinessSchema(): Record<string, unknown> {
  const problems = { type: "array", items: { type: "string" }, description: "What is wrong, one phrase each; empty when nothing is." };
  return {
    type: "object",
    required: ["status", "draining", "store", "clusters"],
    properties: {
      status: { enum: ["ready", "not ready"] },
      draining: { type: "boolean" },
      store: {
        type: "object",
        required: ["kind", "ok", "failMode", "problems"],
        properties: { kind: { type: "string" }, ok: { type: "boolean" }, failMode: { enum: ["closed", "open"] }, problems },
      },
      clusters: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "ok", "problems"],
          properties: {
            name: { type: "string" },
            ok: { type: "boolean" },
            problems,
            circuit: { enum: ["closed", "open", "half-open"], description: "The cluster-wide circuit." },
            openNamespaces: { type: "integer", minimum: 0, description: "Namespaces whose own circuit is open or half-open (their names are not shown)." },
            inFlight: { type: "integer", minimum: 0, description: "Calls upstream now, from this replica." },
            lastCheck: {
              description: "The last access check (a SelfSubjectAccessReview for create pods/eviction); null before the first.",
              anyOf: [{ type: "null" }, { type: "object", required: ["checkedAt", "ok", "problems"], properties: { checkedAt: { type: "string", format: "date-time" }, ok: { type: "boolean" }, problems } }],
            },
          },
        },
      },
    },
  };
}

/** The read side, selector evictions, plans, drains and operations. */
function operationPaths(
  ref: (id: string) => object,
  unauthorized: object,
  problems: Record<string, unknown>,
  pathParam: (name: string, schema: z.ZodType, description: string) => object,
): Record<string, unknown> {
  const cluster = pathParam("cluster", clusterName, "A cluster registered with the gateway.");
  const namespace = pathParam("namespace", namespaceName, "The namespace.");
  const json = (id: string, description: string) => ({ description, content: { "application/json": { schema: ref(id) } } });
  const idempotencyKey = {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description: "Scoped to the API key. A retry with the same key and request answers the first request's result (Idempotent-Replayed: true) and never runs again.",
    schema: { type: "string", maxLength: 257 },
  };
  const operationId = { name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } };
  const unknownOperation = { description: "No operation with this id is visible to this API key (only its creator sees it).", content: { "application/problem+json": { schema: ref("Problem") } } };
  return {
    "/v1/clusters/{cluster}/namespaces/{namespace}/pods": {
      get: {
        operationId: "listPods",
        summary: "The namespace's pods: phase, Ready, node, owner and the budgets that cover each (scope action read)",
        parameters: [cluster, namespace, { name: "labelSelector", in: "query", required: false, description: "A label selector, e.g. app=web. No other query parameter is taken.", schema: { type: "string", maxLength: 1024 } }],
        responses: { "200": json("PodList", "The pods."), ...problems, "401": unauthorized },
      },
    },
    "/v1/clusters/{cluster}/namespaces/{namespace}/budgets": {
      get: {
        operationId: "listBudgets",
        summary: "The namespace's PodDisruptionBudgets: desired and current healthy, disruptions allowed (scope action read)",
        parameters: [cluster, namespace],
        responses: { "200": json("BudgetList", "The budgets."), ...problems, "401": unauthorized },
      },
    },
    "/v1/clusters/{cluster}/namespaces/{namespace}/evictions": {
      post: {
        operationId: "evictSelected",
        summary: "Evict up to max Ready pods of a label selector or a workload, one at a time through the single eviction (scope action evict, or dry-run)",
        parameters: [cluster, namespace, idempotencyKey],
        requestBody: { required: true, content: { "application/json": { schema: ref("SelectionRequest") } } },
        responses: { "200": json("SelectionResult", "A result per pod tried, in order; it stops at the first that could not be evicted."), ...problems, "401": unauthorized },
      },
    },
    "/v1/clusters/{cluster}/plans": {
      post: {
        operationId: "plan",
        summary: "What evicting pods, a selector's pods or a node's pods would do now, and the order a drain would take; changes nothing (scope action read)",
        parameters: [cluster],
        requestBody: { required: true, content: { "application/json": { schema: ref("PlanRequest") } } },
        responses: { "200": json("Plan", "The plan."), ...problems, "401": unauthorized },
      },
    },
    "/v1/clusters/{cluster}/nodes/{node}/drain": {
      post: {
        operationId: "drainNode",
        summary: "Start draining a node: cordon it, then evict its pods paced by their budgets (scope action drain; evict in each pod's namespace)",
        parameters: [cluster, pathParam("node", dns1123Subdomain, "The node."), idempotencyKey],
        requestBody: { required: false, content: { "application/json": { schema: ref("DrainRequest") } } },
        responses: {
          "202": { description: "The operation, started; follow Location.", headers: { Location: { description: "/v1/operations/{id}", schema: { type: "string" } } }, content: { "application/json": { schema: ref("Operation") } } },
          ...problems,
          "401": unauthorized,
        },
      },
    },
    "/v1/operations/{id}": {
      get: {
        operationId: "getOperation",
        summary: "An operation's progress, per pod; with Accept: text/event-stream, as server-sent events (progress…, then done)",
        parameters: [operationId],
        responses: {
          "200": { description: "The operation.", content: { "application/json": { schema: ref("Operation") }, "text/event-stream": { schema: { type: "string", description: "event: progress|done, data: an Operation" } } } },
          "404": unknownOperation,
          "401": unauthorized,
        },
      },
      delete: {
        operationId: "cancelOperation",
        summary: "Cancel a running operation: it stops before its next eviction",
        parameters: [operationId],
        responses: { "202": json("Operation", "Cancel requested."), "200": json("Operation", "It had already ended."), "404": unknownOperation, "401": unauthorized },
      },
    },
  };
}

/** The config file's JSON Schema, for editors (written to openapi/config.schema.json). */
export function buildConfigSchema(): Record<string, unknown> {
  return { ...(z.toJSONSchema(GatewayConfig, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>), title: "Eviction gateway configuration" };
}

function strip(schema: unknown): Record<string, unknown> {
  const { $schema: _schema, $id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}
