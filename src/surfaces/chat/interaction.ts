import type { Context } from "hono";
import { openConfirmation, slackCaller } from "../../auth/slack.js";
import { gatewayResult } from "../../eviction/build.js";
import { answerOf, type Answer } from "../../service/answer.js";
import { evict } from "../../service/evict.js";
import { claimHoldMs, once, replayAnswer } from "../../service/idempotency.js";
import { observe } from "../../service/observe.js";
import type { GatewayEnv } from "../context.js";
import { background, digest, SLACK_PATH, stored } from "./work.js";
import { CANCEL_ACTION, CONFIRM_ACTION, slackMessage } from "./render.js";
import { allowedResponseUrl, postToResponseUrl } from "./respond.js";

/** How long a pressed button's outcome is kept, so a second press replays it. */
const CONFIRM_REPLAY_TTL_MS = 3_600_000;

interface BlockActions {
  type?: unknown;
  user?: { id?: unknown; team_id?: unknown };
  team?: { id?: unknown };
  channel?: { id?: unknown };
  response_url?: unknown;
  actions?: { action_id?: unknown; value?: unknown }[];
}

/**
 * A pressed confirmation button (Slack's block_actions, signed like a command). Slack wants a 200
 * at once and reads nothing from it, so the outcome replaces the button's message through
 * response_url. The button must be this gateway's, unexpired, pressed by the person it was shown
 * to in the same channel, and that person's scopes are checked again as the config stands now.
 */
export async function interaction(c: Context<GatewayEnv>, raw: string): Promise<Response> {
  const deps = c.get("deps");
  const slack = deps.slack!;
  const ack = () => c.body(null, 200);
  let payload: BlockActions;
  try {
    payload = JSON.parse(raw) as BlockActions;
  } catch {
    return ack();
  }
  const action = payload.actions?.[0];
  const responseUrl = allowedResponseUrl(typeof payload.response_url === "string" ? payload.response_url : "", slack.config.responseUrlOrigins);
  if (payload.type !== "block_actions" || !action || !responseUrl) return ack();
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  const who = { teamId: str(payload.team?.id) || str(payload.user?.team_id), userId: str(payload.user?.id), channelId: str(payload.channel?.id) };
  const caller = slackCaller(slack, who);
  if (!caller) return ack();
  c.set("caller", caller);
  const log = (line: object) => console.error(JSON.stringify(line));
  const reply = (text: string) => postToResponseUrl(responseUrl, { response_type: "ephemeral", replace_original: true, text }, log);

  if (action.action_id === CANCEL_ACTION) {
    background(c, reply("Cancelled: nothing was evicted."));
    return ack();
  }
  if (action.action_id !== CONFIRM_ACTION || typeof action.value !== "string") return ack();
  const opened = await openConfirmation(slack, action.value, Math.floor(deps.clock.now() / 1000));
  if (!opened.ok) {
    background(c, reply(`Not evicted: ${opened.reason}.`));
    return ack();
  }
  const { confirmation } = opened;
  if (confirmation.team !== who.teamId || confirmation.user !== who.userId || confirmation.channel !== who.channelId) {
    background(c, reply("Not evicted: only the person who asked, in the channel where they asked, may press this button."));
    return ack();
  }

  const requestId = c.get("requestId");
  const target = { cluster: confirmation.cluster, namespace: confirmation.namespace, pod: confirmation.pod };
  const started = deps.clock.now();
  // One eviction per button, however often it is pressed: the claim is the button's own signature.
  const claim = { key: `slack-confirm:${await digest(action.value)}`, fingerprint: "confirm", ttlMs: CONFIRM_REPLAY_TTL_MS };
  const request = { reason: `slack confirmed by ${caller.id}` };
  const work = once(deps, claim, claimHoldMs(deps), () => evict(deps, requestId, caller, target, request), stored).then(async (ran) => {
    if (ran.state === "in-flight") return;
    const answer: Answer =
      ran.state === "ran" ? ran.value : ran.state === "replay" ? replayAnswer(ran.stored) : answerOf(gatewayResult(requestId, target, "invalid", { message: "This button was already used." }));
    observe(deps, { answer, caller: caller.id, route: SLACK_PATH, started });
    // The button goes, and the outcome is told where the command was (the channel, unless a refusal).
    await postToResponseUrl(responseUrl, { delete_original: true }, log);
    await postToResponseUrl(responseUrl, { ...slackMessage(answer, who.userId), replace_original: false }, log);
  });
  background(c, work);
  return ack();
}

