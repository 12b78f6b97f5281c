import type { Context } from "hono";
import type { Outcome } from "../../eviction/outcome.js";
import type { Answer } from "../../service/answer.js";
import type { GatewayEnv } from "../context.js";
import { record } from "../observed.js";

/** A Slack message, as a slash command's answer or a post to its response_url. */
export interface SlackMessage {
  response_type: "ephemeral" | "in_channel";
  text: string;
  replace_original?: boolean;
  blocks?: object[];
}

/** The action ids of the confirmation buttons. */
export const CONFIRM_ACTION = "egw_evict_confirm";
export const CANCEL_ACTION = "egw_evict_cancel";

/** Asks the person to confirm a real eviction: an Evict button carrying the signed confirmation, and Cancel. */
export function confirmMessage(target: { cluster: string; namespace: string; pod: string }, value: string): SlackMessage {
  const text = `Evict pod ${target.namespace}/${target.pod} on ${target.cluster}? Its PodDisruptionBudget is still honoured.`;
  return {
    response_type: "ephemeral",
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      {
        type: "actions",
        elements: [
          { type: "button", action_id: CONFIRM_ACTION, style: "danger", text: { type: "plain_text", text: "Evict" }, value },
          { type: "button", action_id: CANCEL_ACTION, text: { type: "plain_text", text: "Cancel" }, value: "cancel" },
        ],
      },
    ],
  };
}

/** Outcomes only the person who asked needs to see; the rest are told to the channel. */
const PRIVATE: ReadonlySet<Outcome> = new Set<Outcome>(["invalid", "unauthorized", "forbidden", "unknown-cluster", "rate-limited"]);

/** Slack reads &, < and > as markup (<!channel>, <@U…>): text from elsewhere is escaped. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** One eviction's answer as a message: who asked, the outcome, and the gateway's one human line. */
export function slackMessage(answer: Answer, userId: string | null): SlackMessage {
  const { result } = answer;
  const who = userId ? `<@${userId}> ` : "";
  const retry = result.retryAfterSeconds !== null ? ` (retry in ${result.retryAfterSeconds}s)` : "";
  return {
    response_type: PRIVATE.has(result.outcome) ? "ephemeral" : "in_channel",
    text: `${who}*${result.outcome}*${result.dryRun ? " (dry run)" : ""}: ${escapeSlack(result.message)}${retry}`,
  };
}

/**
 * The chat surface's one renderer. Slack shows a command's answer only when it is a 200, so every
 * answer to an authentic request is a 200; one refused before (a bad signature, too large, too
 * many) keeps its status, as nobody is there to read it.
 */
export function renderSlack(c: Context<GatewayEnv>, message: SlackMessage, answer?: Answer, status = 200): Response {
  if (answer) record(c, answer);
  return c.body(JSON.stringify(message), status as never, { "Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
}
