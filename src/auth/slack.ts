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
}

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
  return { config, key };
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

/** The person who typed the command, as a caller: `slack:{team}:{user}`, with what the rules give them in that channel. */
export function slackCaller(slack: ResolvedSlack, who: { teamId: string; userId: string; channelId: string }): Caller | null {
  if (![who.teamId, who.userId, who.channelId].every((id) => SLACK_ID.test(id))) return null;
  const scopes: Scope[] = slack.config.rules
    .filter(({ match }) => (!match.teamId || globMatch(match.teamId, who.teamId)) && (!match.userId || globMatch(match.userId, who.userId)) && (!match.channelId || globMatch(match.channelId, who.channelId)))
    .flatMap((rule) => rule.scopes);
  return { id: `slack:${who.teamId}:${who.userId}`, scopes };
}
