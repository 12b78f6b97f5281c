import { globMatch } from "../config/glob.js";
import { ConfigError, type Scope, type SlackSettings } from "../config/schema.js";
import { describeRef, type SecretReader } from "../config/secrets.js";
import { constantTimeEqual, type Caller } from "./api-keys.js";

/**
 * Slack's request signing (v0): X-Slack-Signature is `v0=` and the hex HMAC-SHA256, under the app's
 * signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`. Requests more than five minutes
 * off are refused, so a captured one cannot be replayed later.
 */

/** Slack's own tolerance for the request timestamp. */
export const SLACK_TOLERANCE_SECONDS = 300;
/** The signing secret is 32 hex characters; anything much shorter is a mistake. */
const MIN_SECRET_LENGTH = 16;
/** Slack ids: team T…/E…, user U…/W…, channel C…/G…/D…. */
const SLACK_ID = /^[A-Z0-9]{2,32}$/;

export interface ResolvedSlack {
  config: SlackSettings;
  key: CryptoKey;
  /** Signs the gateway's own confirmation buttons: derived from the signing secret, never the same key. */
  confirmKey: CryptoKey;
}

/** How long an Evict button stays good. */
export const CONFIRM_TTL_SECONDS = 300;

export async function resolveSlack(config: SlackSettings | undefined, secrets: SecretReader): Promise<ResolvedSlack | null> {
  if (!config) return null;
  let secret: string;
  try {
    secret = secrets.read(config.signingSecret);
  } catch (error) {
    throw new ConfigError(`invalid config:\n  chat.slack.signingSecret: ${(error as Error).message}`);
  }
  if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`invalid config:\n  chat.slack.signingSecret: the secret in ${describeRef(config.signingSecret)} is shorter than ${MIN_SECRET_LENGTH} characters`);
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("eviction-gateway confirmation buttons"));
  const confirmKey = await crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return { config, key, confirmKey };
}

/** What can be checked before the body is read: both headers, well formed, and a fresh timestamp. Null when fine. */
export function precheckSlack(timestamp: string | undefined, signature: string | undefined, nowSeconds: number): string | null {
  if (!timestamp || !signature) return "X-Slack-Request-Timestamp and X-Slack-Signature are required";
  if (!/^\d{1,12}$/.test(timestamp)) return "X-Slack-Request-Timestamp is not a Unix time";
  if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_TOLERANCE_SECONDS) return "the request timestamp is more than 5 minutes off";
  if (!/^v0=[0-9a-f]{64}$/.test(signature)) return "X-Slack-Signature is not a v0 signature";
  return null;
}

/** The signature over the raw body, compared in constant time. */
export async function verifySlack(slack: ResolvedSlack, timestamp: string, signature: string, body: string): Promise<boolean> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", slack.key, new TextEncoder().encode(`v0:${timestamp}:${body}`)));
  const given = new Uint8Array(32);
  for (let i = 0; i < 32; i++) given[i] = parseInt(signature.slice(3 + i * 2, 5 + i * 2), 16);
  return constantTimeEqual(mac, given);
}

/**
 * The person who typed the command, as a caller: `slack:{team}:{user}`, with what the rules give
 * them in that channel, and whether a matching rule wants real evictions confirmed first.
 */
export function slackCaller(slack: ResolvedSlack, who: { teamId: string; userId: string; channelId: string }): (Caller & { confirm: boolean }) | null {
  if (![who.teamId, who.userId, who.channelId].every((id) => SLACK_ID.test(id))) return null;
  const rules = slack.config.rules.filter(
    ({ match }) => (!match.teamId || globMatch(match.teamId, who.teamId)) && (!match.userId || globMatch(match.userId, who.userId)) && (!match.channelId || globMatch(match.channelId, who.channelId)),
  );
  const scopes: Scope[] = rules.flatMap((rule) => rule.scopes);
  return { id: `slack:${who.teamId}:${who.userId}`, scopes, confirm: rules.some((rule) => rule.confirm) };
}

/** What an Evict button stands for: who may press it, where, for which pod, until when. */
export interface Confirmation {
  team: string;
  user: string;
  channel: string;
  cluster: string;
  namespace: string;
  pod: string;
  /** Unix seconds after which the button is refused. */
  expires: number;
}

/** The button's value: the confirmation and its HMAC, so a pressed button cannot name another pod or person. */
export async function signConfirmation(slack: ResolvedSlack, confirmation: Confirmation): Promise<string> {
  const payload = base64url(new TextEncoder().encode(JSON.stringify(confirmation)));
  return `${payload}.${base64url(new Uint8Array(await crypto.subtle.sign("HMAC", slack.confirmKey, new TextEncoder().encode(payload))))}`;
}

/** The confirmation a button's value holds, or why it cannot be used. */
export async function openConfirmation(slack: ResolvedSlack, value: string, nowSeconds: number): Promise<{ ok: true; confirmation: Confirmation } | { ok: false; reason: string }> {
  const [payload, mac, extra] = value.split(".");
  if (!payload || !mac || extra !== undefined || value.length > 2000) return { ok: false, reason: "the button is not one of this gateway's" };
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", slack.confirmKey, new TextEncoder().encode(payload)));
  if (!constantTimeEqual(expected, fromBase64url(mac))) return { ok: false, reason: "the button is not one of this gateway's" };
  const confirmation = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as Confirmation;
  if (nowSeconds > confirmation.expires) return { ok: false, reason: "the button has expired; send the command again" };
  return { ok: true, confirmation };
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  } catch {
    return new Uint8Array(0);
  }
}
