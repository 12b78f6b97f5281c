import { Hono, type Context, type MiddlewareHandler } from "hono";
import { hookCaller, verifyBearer, verifyStandardWebhook, type ResolvedHook } from "../../auth/webhooks.js";
import { envelopeError, isBatch } from "../../eviction/batch.js";
import { gatewayResult } from "../../eviction/build.js";
import { splitItem, validateEviction } from "../../eviction/validate.js";
import { answerOf, Refusal, type Answer } from "../../service/answer.js";
import { runBatch, type BatchAnswer } from "../../service/batch.js";
import { evict } from "../../service/evict.js";
import { claimHoldMs, once } from "../../service/idempotency.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, limitBody, targetOf } from "../guards.js";
import { parseJson } from "../json-body.js";
import { renderRefusals } from "../refusals.js";
import { INTERNAL_ERROR_DETAIL, renderRouteProblem } from "../route-problem.js";
import { BATCH_BODY_SCALE } from "../v1/app.js";
import { renderJson, renderProblem } from "../v1/render.js";
import { alertsToItems, AlertmanagerPayload } from "./alertmanager.js";

export const HOOK_PATH = "/v1/hooks/:hook";

type SignedHook = Extract<ResolvedHook, { keys: CryptoKey[] }>;
type AlertmanagerHook = Extract<ResolvedHook, { tokenHash: Uint8Array }>;

/** POST /v1/hooks/{hook}: signed webhooks (Standard Webhooks) and Alertmanager. Answers in problem+json. */
export function hooksSurface(): Hono<GatewayEnv> {
  const hooks = new Hono<GatewayEnv>();
  hooks.onError(renderRefusals(renderProblem, (c) => renderRouteProblem(c, "internal", 500, INTERNAL_ERROR_DETAIL)));
  hooks.post(HOOK_PATH, addressLimit, identifyHook, limitBody(BATCH_BODY_SCALE), async (c) => {
    const hook = c.get("hook");
    return hook.config.type === "alertmanager" ? alertmanager(c, hook as AlertmanagerHook) : signed(c, hook as SignedHook);
  });
  return hooks;
}

/**
 * Before the body is read: the hook must exist, and what can be checked without the body must
 * hold (Alertmanager's token; a signed hook's headers and timestamp). An unknown hook is answered
 * as a failed authentication, so hook names cannot be probed.
 */
const identifyHook: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const hook = deps.hooks.get(c.req.param("hook") ?? "");
  if (!hook) throw unauthorized(c, "No hook of that name accepts this request; check the hook's name and credentials.");
  c.set("hook", hook);
  if (hook.config.type === "alertmanager" && !(await verifyBearer(hook as AlertmanagerHook, c.req.header("authorization")))) {
    throw unauthorized(c, "Send the hook's token as Authorization: Bearer <token> (Alertmanager: http_config.authorization).", hook);
  }
  await next();
};

async function signed(c: Context<GatewayEnv>, hook: SignedHook): Promise<Response> {
  const deps = c.get("deps");
  const body = c.get("body");
  const headers = { id: c.req.header("webhook-id"), timestamp: c.req.header("webhook-timestamp"), signature: c.req.header("webhook-signature") };
  const verification = await verifyStandardWebhook(hook, headers, body, Math.floor(deps.clock.now() / 1000));
  if (!verification.ok) throw unauthorized(c, `The webhook is not authentic: ${verification.reason}.`, hook);
  const caller = hookCaller(hook);
  c.set("caller", caller);
  const requestId = c.get("requestId");
  const parsed = parseJson(body, requestId, targetOf(c));
  const items = isBatch(parsed) && Array.isArray(parsed.items) ? parsed.items.length : 1;

  // The webhook-id, once answered finally, may not be used again (replay protection, through the idempotency store).
  const claim = { key: `hook:${hook.config.name}:${verification.id}`, fingerprint: "webhook", ttlMs: hook.config.toleranceSeconds * 2000 };
  const ran = await once<Answer | BatchAnswer>(
    deps,
    claim,
    claimHoldMs(deps, items),
    async () => {
      if (isBatch(parsed)) {
        const problem = envelopeError(parsed);
        if (problem) return answerOf(gatewayResult(requestId, targetOf(c), "invalid", { message: problem }), { errors: [{ detail: problem, pointer: "#/body" }] });
        return runBatch(deps, requestId, caller, (parsed as { items: unknown[] }).items);
      }
      const { target, body: request } = splitItem(parsed);
      const input = validateEviction(requestId, target, request, { target: "#/body", body: "#/body" });
      return input.ok ? evict(deps, requestId, caller, input.target, input.request) : answerOf(input.result, { errors: input.errors });
    },
    // A retryable answer frees the webhook-id, so the sender's own retry of this message runs again.
    (value) => ("batch" in value ? value.batch.summary.retryable === 0 : !value.result.retryable) ? { status: "batch" in value ? 200 : value.status, contentType: "application/json", body: "" } : null,
  );
  if (ran.state !== "ran") {
    const message = `webhook-id ${verification.id.slice(0, 64)} was already received.`;
    throw new Refusal(answerOf(gatewayResult(requestId, targetOf(c), "conflict", { message })));
  }
  const value = ran.value;
  return "batch" in value ? renderJson(c, value.batch, value.items) : renderProblem(c, value);
}

async function alertmanager(c: Context<GatewayEnv>, hook: AlertmanagerHook): Promise<Response> {
  const deps = c.get("deps");
  const requestId = c.get("requestId");
  const caller = hookCaller(hook);
  c.set("caller", caller);
  const parsed = AlertmanagerPayload.safeParse(parseJson(c.get("body"), requestId, targetOf(c)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const message = `Not an Alertmanager version 4 payload: ${issue?.path.join(".")} ${issue?.message}.`;
    throw new Refusal(answerOf(gatewayResult(requestId, targetOf(c), "invalid", { message })));
  }
  const { items, dedupeKeys, ignored } = alertsToItems(hook, parsed.data);
  const { batch, items: answers } = await runBatch(deps, requestId, caller, items, { dedupeKey: (i) => dedupeKeys[i]! });
  return renderJson(c, { ...batch, summary: { ...batch.summary, ignored } }, answers);
}

function unauthorized(c: Context<GatewayEnv>, message: string, hook?: ResolvedHook): Refusal {
  const result = gatewayResult(c.get("requestId"), targetOf(c), "unauthorized", { message });
  return new Refusal(answerOf(result, hook ? { reason: `hook ${hook.config.name}` } : {}));
}
