import { Hono, type Context, type MiddlewareHandler } from "hono";
import { hookCaller, precheckStandardWebhook, verifyBearer, verifyStandardWebhook, type ResolvedHook } from "../../auth/webhooks.js";
import { envelopeError, isBatch } from "../../eviction/batch.js";
import { gatewayResult } from "../../eviction/build.js";
import { answerOf, Refusal } from "../../service/answer.js";
import { runBatch } from "../../service/batch.js";
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
 * hold (Alertmanager's token; a signed hook's headers and timestamp), so an anonymous caller never
 * makes the gateway hold a body. An unknown hook is answered
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
  if (hook.config.type === "standard-webhooks") {
    const headers = { id: c.req.header("webhook-id"), timestamp: c.req.header("webhook-timestamp"), signature: c.req.header("webhook-signature") };
    const early = precheckStandardWebhook(hook as SignedHook, headers, Math.floor(deps.clock.now() / 1000));
    if (early !== null) throw unauthorized(c, `The webhook is not authentic: ${early}.`, hook);
  }
  await next();
};

/** How long past the last moment its timestamp is accepted a webhook-id's record is kept. */
const REPLAY_MARGIN_MS = 60_000;
/** The status of a signed hook's final answer: Standard Webhooks senders retry anything else. */
const RECEIVED = 200;

/**
 * A signed message runs each of its evictions at most once: item i of webhook-id m is kept under
 * m:i. A redelivery (or a captured copy) replays the items that ended finally and runs again only
 * those that were retryable. Final answers are 200, as Standard Webhooks asks, so a sender never
 * retries them; a retryable one keeps its status and Retry-After, so it does.
 */
async function signed(c: Context<GatewayEnv>, hook: SignedHook): Promise<Response> {
  const deps = c.get("deps");
  const body = c.get("body");
  const headers = { id: c.req.header("webhook-id"), timestamp: c.req.header("webhook-timestamp"), signature: c.req.header("webhook-signature") };
  const now = deps.clock.now();
  const verification = await verifyStandardWebhook(hook, headers, body, Math.floor(now / 1000));
  if (!verification.ok) throw unauthorized(c, `The webhook is not authentic: ${verification.reason}.`, hook);
  const caller = hookCaller(hook);
  c.set("caller", caller);
  const requestId = c.get("requestId");
  let parsed: unknown;
  try {
    parsed = parseJson(body, requestId, targetOf(c));
  } catch (error) {
    // Authentic but not JSON: final, so answered as received (a retry would fail the same way).
    throw error instanceof Refusal ? new Refusal({ ...error.answer, status: RECEIVED }) : error;
  }
  // Kept until the message's timestamp can no longer be accepted, so no copy of it ever runs again.
  const dedupeTtlMs = (Number(headers.timestamp) + hook.config.toleranceSeconds) * 1000 - now + REPLAY_MARGIN_MS;
  const dedupeKey = (i: number) => `hook:${hook.config.name}:${verification.id}:${i}`;

  if (isBatch(parsed)) {
    const problem = envelopeError(parsed);
    if (problem) throw new Refusal(answerOf(gatewayResult(requestId, targetOf(c), "invalid", { message: problem }), { status: RECEIVED, errors: [{ detail: problem, pointer: "#/body" }] }));
    const { batch, items } = await runBatch(deps, requestId, caller, (parsed as { items: unknown[] }).items, { dedupeKey, dedupeTtlMs });
    return renderJson(c, batch, items);
  }
  const { batch, items } = await runBatch(deps, requestId, caller, [parsed], { dedupeKey, dedupeTtlMs });
  const answer = items[0]!;
  return renderProblem(c, { ...answer, result: { ...batch.results[0]!, requestId }, status: answer.result.retryable ? answer.status : RECEIVED });
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
