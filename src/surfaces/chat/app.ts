import { Hono, type Context, type MiddlewareHandler } from "hono";
import { CONFIRM_TTL_SECONDS, signConfirmation, precheckSlack, slackCaller, verifySlack } from "../../auth/slack.js";
import { gatewayResult } from "../../eviction/build.js";
import { validateEviction } from "../../eviction/validate.js";
import { answerOf, Refusal, type Answer } from "../../service/answer.js";
import { evict, scopeRefusal } from "../../service/evict.js";
import { claimHoldMs, once, replayAnswer } from "../../service/idempotency.js";
import { observe } from "../../service/observe.js";
import { readCapped } from "../../util/read-capped.js";
import type { GatewayEnv } from "../context.js";
import { addressLimit, targetOf } from "../guards.js";
import { renderRefusals } from "../refusals.js";
import { parseCommand, usage } from "./command.js";
import { interaction } from "./interaction.js";
import { confirmMessage, escapeSlack, renderSlack, slackMessage, type SlackMessage } from "./render.js";
import { allowedResponseUrl, postToResponseUrl } from "./respond.js";
import { background, digest, SLACK_PATH, stored } from "./work.js";

/** A slash command's form body is a few hundred bytes; nothing larger is read. */
export const MAX_SLACK_BODY_BYTES = 8_192;
/** How long a command's outcome is kept, so a retry of it (X-Slack-Retry-Num) is answered, never run again. */
const SLACK_REPLAY_TTL_MS = 3_600_000;
const PAYLOAD_TOO_LARGE = 413;
const COMMAND_NAME = /^\/[a-z0-9_-]{1,32}$/;
const TRIGGER_ID = /^[0-9A-Za-z.]{1,128}$/;

export { SLACK_PATH };

/** POST /v1/chat/slack: a Slack app's slash command, answered as Slack messages. */
export function chatSurface(): Hono<GatewayEnv> {
  const chat = new Hono<GatewayEnv>();
  chat.onError(
    renderRefusals(
      (c, answer) => renderSlack(c, { response_type: "ephemeral", text: escapeSlack(answer.result.message) }, answer, answer.status),
      (c) => renderSlack(c, { response_type: "ephemeral", text: "The eviction gateway failed unexpectedly; nothing more is known." }, undefined, 500),
    ),
  );
  chat.post(SLACK_PATH, addressLimit, verifySlackRequest, command);
  return chat;
}

/**
 * Before anything is parsed: the headers and the timestamp, then the body (capped), then its
 * signature. Until the signature holds, nothing in the request is believed.
 */
const verifySlackRequest: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const slack = deps.slack;
  if (!slack) throw unauthorized(c, "This gateway has no Slack command configured (chat.slack).");
  const timestamp = c.req.header("x-slack-request-timestamp");
  const signature = c.req.header("x-slack-signature");
  const early = precheckSlack(timestamp, signature, Math.floor(deps.clock.now() / 1000));
  if (early !== null) throw unauthorized(c, `The request is not from Slack: ${early}.`);
  const declared = Number(c.req.header("content-length") ?? "0");
  const body = declared > MAX_SLACK_BODY_BYTES ? null : await readCapped(deps.requestBody?.(c) ?? c.req.raw.body, MAX_SLACK_BODY_BYTES);
  if (body === null) {
    throw new Refusal(answerOf(gatewayResult(c.get("requestId"), targetOf(c), "invalid", { message: `The body is larger than ${MAX_SLACK_BODY_BYTES} bytes.` }), { status: PAYLOAD_TOO_LARGE }));
  }
  if (!(await verifySlack(slack, timestamp!, signature!, body))) throw unauthorized(c, "The request is not from Slack: the signature does not match.");
  c.set("body", body);
  await next();
};

async function command(c: Context<GatewayEnv>): Promise<Response> {
  const deps = c.get("deps");
  const slack = deps.slack!;
  const form = new URLSearchParams(c.get("body"));
  // The app's Interactivity Request URL is this route too: a pressed button arrives as `payload`.
  if (form.has("payload")) return interaction(c, form.get("payload")!);
  const ephemeral = (text: string, answer?: Answer) => renderSlack(c, { response_type: "ephemeral", text }, answer);
  const userId = form.get("user_id") ?? "";
  const caller = slackCaller(slack, { teamId: form.get("team_id") ?? "", userId, channelId: form.get("channel_id") ?? "" });
  if (!caller) return ephemeral("This request does not carry Slack's team, user and channel ids.");
  c.set("caller", caller);
  const name = COMMAND_NAME.test(form.get("command") ?? "") ? form.get("command")! : "/evict";
  const parsed = parseCommand(form.get("text") ?? "");
  if (parsed.kind === "help") return ephemeral(usage(name));
  if (parsed.kind === "usage") return ephemeral(`${parsed.problem}\n${usage(name)}`);

  const requestId = c.get("requestId");
  const target = { cluster: parsed.cluster, namespace: parsed.namespace, pod: parsed.pod };
  const input = validateEviction(requestId, target, { dryRun: parsed.dryRun, reason: `slack ${name} by ${caller.id}` }, { target: "#/text", body: "#/text" });
  if (!input.ok) return ephemeral(escapeSlack(input.result.message), answerOf(input.result, { errors: input.errors }));
  // Where a late outcome would go must be allowed before anything runs: no eviction whose outcome cannot be told.
  const responseUrl = allowedResponseUrl(form.get("response_url") ?? "", slack.config.responseUrlOrigins);
  if (!responseUrl) {
    const result = gatewayResult(requestId, input.target, "invalid", { dryRun: parsed.dryRun, message: "The command's response_url is not on this gateway's allow-list (chat.slack.responseUrlOrigins); nothing was done." });
    return ephemeral(result.message, answerOf(result));
  }

  // A rule that wants real evictions confirmed: show the Evict button (to the asker only), run nothing yet.
  if (caller.confirm && !parsed.dryRun) {
    const refused = scopeRefusal(deps, requestId, caller, input.target, false);
    if (refused) return renderSlack(c, slackMessage(refused, userId), refused);
    const who = { team: form.get("team_id")!, user: userId, channel: form.get("channel_id")! };
    const value = await signConfirmation(slack, { ...who, ...input.target, expires: Math.floor(deps.clock.now() / 1000) + CONFIRM_TTL_SECONDS });
    return renderSlack(c, confirmMessage(input.target, value));
  }

  // One run per command: Slack's retries of it (same trigger_id) replay its outcome or wait for it.
  const trigger = form.get("trigger_id") ?? "";
  const key = `slack:${caller.id}:${TRIGGER_ID.test(trigger) ? trigger : await digest(c.get("body"))}`;
  const started = deps.clock.now();
  const work = once(deps, { key, fingerprint: await digest(form.get("text") ?? ""), ttlMs: SLACK_REPLAY_TTL_MS }, claimHoldMs(deps), () => evict(deps, requestId, caller, input.target, input.request), stored).then(
    (ran): Answer | "in-flight" =>
      ran.state === "ran" ? ran.value : ran.state === "replay" ? replayAnswer(ran.stored) : ran.state === "in-flight" ? "in-flight" : answerOf(gatewayResult(requestId, input.target, "invalid", { message: "This command was already sent with other text." })),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const patience = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), slack.config.answerWithinMs)));
  const first = await Promise.race([work, patience]);
  clearTimeout(timer);
  if (first === "in-flight") return ephemeral("Still working on this command; its outcome will be posted here.");
  if (first !== "late") return renderSlack(c, slackMessage(first, userId), first);

  // Past Slack's patience: say so now, and post the outcome when it comes, written to the audit log then.
  const late = work.then(async (answer) => {
    if (answer === "in-flight") return;
    observe(deps, { answer, caller: caller.id, route: SLACK_PATH, started });
    await postToResponseUrl(responseUrl, { ...slackMessage(answer, userId), replace_original: false }, (line) => console.error(JSON.stringify(line)));
  });
  background(c, late);
  return renderSlack(c, { response_type: "ephemeral", text: `Working on it: ${parsed.dryRun ? "a dry run of " : ""}evicting ${input.target.namespace}/${input.target.pod} on ${input.target.cluster}. The outcome will be posted here.` } satisfies SlackMessage);
}

function unauthorized(c: Context<GatewayEnv>, message: string): Refusal {
  return new Refusal(answerOf(gatewayResult(c.get("requestId"), targetOf(c), "unauthorized", { message }), { reason: "slack" }));
}
