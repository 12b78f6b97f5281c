import type { Context } from "hono";
import type { Answer } from "../../service/answer.js";
import type { StoredResponse } from "../../service/ports.js";
import type { GatewayEnv } from "../context.js";

/** What the command and its buttons share: the route, running on after the answer, and what is kept. */
export const SLACK_PATH = "/v1/chat/slack";

/** Every outcome is kept (even a retryable one): a Slack retry is the same command, never a new attempt. */
export function stored(answer: Answer): StoredResponse {
  const { result, status } = answer;
  return { status, contentType: "application/json", body: JSON.stringify({ result, status }) };
}

/** Keeps work going after the answer: Workers' waitUntil, or the Node adapter's (which the drain waits for). */
export function background(c: Context<GatewayEnv>, work: Promise<void>): void {
  let ctx: { waitUntil(p: Promise<unknown>): void } | null = null;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = null; // an app driven without one (a unit test): the promise runs on by itself
  }
  ctx?.waitUntil(work);
}

/** A SHA-256 hex digest: a claim key made from text that is not itself kept. */
export async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
