import type { Context, Hono } from "hono";
import { hookCaller, verifyBearer, verifyStandardWebhook, type ResolvedHook } from "../auth/webhooks.js";
import { RETRYABLE } from "../eviction/outcome.js";
import { alertsToItems, AlertmanagerPayload } from "./alertmanager.js";
import { observe } from "./audited.js";
import { envelopeError, isBatch, runBatch } from "./batch.js";
import { limitBody } from "./body-limit.js";
import type { AppDeps, GatewayEnv } from "./context.js";
import { decisionOf, runEviction } from "./eviction-flow.js";
import { validateEviction } from "./eviction-input.js";
import { gatewayResult, respond } from "./respond.js";

export const HOOK_PATH = "/v1/hooks/:hook";

/** POST /v1/hooks/{hook}: signed webhooks (Standard Webhooks) and Alertmanager. */
export function hooksRoute(app: Hono<GatewayEnv>): void {
  app.post(HOOK_PATH, limitBody(64, (c, limit) => problem(c, 413, "invalid", `The body is larger than ${limit} bytes.`)), async (c) => {
    const deps = c.get("deps");
    const hook = deps.hooks.get(c.req.param("hook"));
    if (!hook) return problem(c, 404, "unknown-hook", "No hook of that name.");
    const body = c.get("body");
    return hook.config.type === "alertmanager" ? alertmanager(c, deps, hook as Extract<ResolvedHook, { tokenHash: Uint8Array }>, body) : signed(c, deps, hook as Extract<ResolvedHook, { keys: CryptoKey[] }>, body);
  });
}

async function signed(c: Context<GatewayEnv>, deps: AppDeps, hook: Extract<ResolvedHook, { keys: CryptoKey[] }>, body: string): Promise<Response> {
  const verification = await verifyStandardWebhook(
    hook,
    { id: c.req.header("webhook-id"), timestamp: c.req.header("webhook-timestamp"), signature: c.req.header("webhook-signature") },
    body,
    Math.floor(deps.clock() / 1000),
  );
  if (!verification.ok) return unauthorized(c, deps, hook, `The webhook is not authentic: ${verification.reason}.`);
  const caller = hookCaller(hook);
  const requestId = c.get("requestId");

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return problem(c, 400, "invalid", "The body is not valid JSON.");
  }

  // The webhook-id, once answered finally, may not be used again (replay protection, through the idempotency store).
  const replayKey = `hook:${hook.config.name}:${verification.id}`;
  const inFlightMs = deps.config.eviction.upstreamTimeoutMs * 2 + 5000;
  const begin = await deps.guard.run("idempotency", () => deps.store.begin(replayKey, "webhook", deps.clock(), inFlightMs), { state: "started" as const });
  if (begin.state !== "started") return problem(c, 409, "conflict", `webhook-id ${verification.id.slice(0, 64)} was already received.`);

  let response: Response;
  let final: boolean;
  if (isBatch(parsed)) {
    const error = envelopeError(parsed);
    if (error) {
      response = problem(c, 400, "invalid", error);
      final = true;
    } else {
      const batch = await runBatch(deps, requestId, caller, (parsed as { items: unknown[] }).items, HOOK_PATH);
      response = c.json(batch);
      final = batch.summary.retryable === 0;
    }
  } else {
    const started = deps.clock();
    const item = (parsed !== null && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
    const { cluster, namespace, pod, ...rest } = item;
    const target = { cluster: String(cluster ?? ""), namespace: String(namespace ?? ""), pod: String(pod ?? "") };
    const input = validateEviction(requestId, target, rest, { target: "#/body", body: "#/body" });
    if (!input.ok) {
      observe(deps, { requestId, caller: caller.id, route: HOOK_PATH, target, started, decision: { outcome: "invalid", status: 400, dryRun: false } });
      response = respond(c, input.result, 400, { errors: input.errors });
      final = true;
    } else {
      const out = await runEviction(deps, requestId, caller, input.target, input.request);
      observe(deps, { requestId, caller: caller.id, route: HOOK_PATH, target, started, decision: decisionOf(out, input.request) });
      response = respond(c, out.result, out.status, { headers: out.headers, ...(out.extensions ? { extensions: out.extensions } : {}) });
      final = !RETRYABLE.has(out.result.outcome);
    }
  }
  // A retryable answer frees the webhook-id, so the sender's own retry of this message runs again.
  const stored = final ? { status: response.status, contentType: "application/json", body: "" } : null;
  await deps.guard.soft("idempotency", () => deps.store.complete(replayKey, "webhook", stored, deps.clock(), hook.config.toleranceSeconds * 2000), undefined);
  return response;
}

async function alertmanager(c: Context<GatewayEnv>, deps: AppDeps, hook: Extract<ResolvedHook, { tokenHash: Uint8Array }>, body: string): Promise<Response> {
  if (!(await verifyBearer(hook, c.req.header("authorization")))) return unauthorized(c, deps, hook, "Send the hook's token as Authorization: Bearer <token> (Alertmanager: http_config.authorization).");
  let payload: AlertmanagerPayload;
  try {
    const parsed = AlertmanagerPayload.safeParse(JSON.parse(body));
    if (!parsed.success) return problem(c, 400, "invalid", `Not an Alertmanager version 4 payload: ${parsed.error.issues[0]?.path.join(".")} ${parsed.error.issues[0]?.message}.`);
    payload = parsed.data;
  } catch {
    return problem(c, 400, "invalid", "The body is not valid JSON.");
  }
  const { items, dedupeKeys, ignored } = alertsToItems(hook, payload);
  const batch = await runBatch(deps, c.get("requestId"), hookCaller(hook), items, HOOK_PATH, { dedupeKey: (i) => dedupeKeys[i]! });
  return c.json({ ...batch, summary: { ...batch.summary, ignored } });
}

function unauthorized(c: Context<GatewayEnv>, deps: AppDeps, hook: ResolvedHook, message: string): Response {
  observe(deps, {
    requestId: c.get("requestId"),
    caller: null,
    route: HOOK_PATH,
    target: { cluster: "", namespace: "", pod: "" },
    started: deps.clock(),
    decision: { outcome: "unauthorized", status: 401, dryRun: false, reason: `hook ${hook.config.name}` },
  });
  return respond(c, gatewayResult(c.get("requestId"), { cluster: "", namespace: "", pod: "" }, "unauthorized", { message }), 401);
}

function problem(c: Context<GatewayEnv>, status: 400 | 404 | 409 | 413, kind: string, detail: string): Response {
  return c.json({ type: `urn:eviction-gateway:problem:${kind}`, title: kind, status, detail, requestId: c.get("requestId") }, status, { "Content-Type": "application/problem+json" });
}
