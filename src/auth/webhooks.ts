import type { HookConfig } from "../config/schema.js";
import { describeRef, type SecretReader } from "../config/secrets.js";
import { ConfigError, formatPath } from "../config/schema.js";
import { constantTimeEqual, sha256 } from "./api-keys.js";
import type { Caller } from "./api-keys.js";

/** A hook with its secrets read: HMAC keys for signed hooks, the token's hash for Alertmanager. */
export type ResolvedHook =
  | { config: Extract<HookConfig, { type: "standard-webhooks" }>; keys: CryptoKey[] }
  | { config: Extract<HookConfig, { type: "alertmanager" }>; tokenHash: Uint8Array };

/** Reads every hook's secrets; all that are missing or too short are named in one ConfigError. */
export async function resolveHooks(hooks: HookConfig[], secrets: SecretReader): Promise<Map<string, ResolvedHook>> {
  const out = new Map<string, ResolvedHook>();
  const problems: string[] = [];
  for (const [i, hook] of hooks.entries()) {
    const where = `${formatPath(["hooks", i])} (${hook.name})`;
    const read = (ref: Parameters<SecretReader["read"]>[0]): string | null => {
      try {
        return secrets.read(ref);
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
        return null;
      }
    };
    if (hook.type === "standard-webhooks") {
      const keys: CryptoKey[] = [];
      for (const ref of hook.secrets) {
        const secret = read(ref);
        if (secret === null) continue;
        let bytes: Uint8Array;
        try {
          bytes = secretBytes(secret);
        } catch {
          problems.push(`${where}: the secret in ${describeRef(ref)} is not base64 after whsec_`);
          continue;
        }
        if (bytes.length < 16) problems.push(`${where}: the secret in ${describeRef(ref)} is shorter than 16 bytes`);
        else keys.push(await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
      }
      out.set(hook.name, { config: hook, keys });
    } else {
      const token = read(hook.token);
      if (token !== null) out.set(hook.name, { config: hook, tokenHash: await sha256(token) });
    }
  }
  if (problems.length > 0) throw new ConfigError("invalid config", problems);
  return out;
}

/** Standard Webhooks secrets are "whsec_" + base64; anything else is taken as it is. */
function secretBytes(secret: string): Uint8Array {
  if (secret.startsWith("whsec_")) return Uint8Array.from(atob(secret.slice(6)), (ch) => ch.charCodeAt(0));
  return new TextEncoder().encode(secret);
}

export function hookCaller(hook: ResolvedHook): Caller {
  return { id: `hook:${hook.config.name}`, scopes: hook.config.scopes };
}

export type Verification = { ok: true; id: string } | { ok: false; reason: string };

/**
 * Standard Webhooks: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, several space-separated
 * signatures allowed (key rotation), the timestamp within the tolerance. Compared in constant time.
 */
/** What can be checked before the body is read: the headers are there, well-formed, and the timestamp is fresh. Null: go on. */
export function precheckStandardWebhook(hook: Extract<ResolvedHook, { keys: CryptoKey[] }>, headers: { id?: string; timestamp?: string; signature?: string }, nowSeconds: number): string | null {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return "missing webhook-id, webhook-timestamp or webhook-signature";
  if (!/^[\x21-\x7e]{1,255}$/.test(id)) return "malformed webhook-id";
  if (!/^\d{1,12}$/.test(timestamp)) return "malformed webhook-timestamp";
  if (Math.abs(nowSeconds - Number(timestamp)) > hook.config.toleranceSeconds) return "webhook-timestamp is outside the tolerance";
  return null;
}

export async function verifyStandardWebhook(
  hook: Extract<ResolvedHook, { keys: CryptoKey[] }>,
  headers: { id?: string; timestamp?: string; signature?: string },
  body: string,
  nowSeconds: number,
): Promise<Verification> {
  const early = precheckStandardWebhook(hook, headers, nowSeconds);
  if (early !== null) return { ok: false, reason: early };
  const { id, timestamp, signature } = headers as Required<typeof headers>;
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const offered = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .slice(0, 10)
    .map((s) => base64ToBytes(s.slice(3)));
  let match = false;
  for (const key of hook.keys) {
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
    for (const sig of offered) if (sig && constantTimeEqual(sig, expected)) match = true;
  }
  return match ? { ok: true, id } : { ok: false, reason: "no valid v1 signature" };
}

/** Alertmanager's http_config authorization: `Authorization: Bearer <token>`. */
export async function verifyBearer(hook: Extract<ResolvedHook, { tokenHash: Uint8Array }>, authorization: string | undefined): Promise<boolean> {
  const token = /^Bearer +(\S+) *$/i.exec(authorization ?? "")?.[1] ?? "";
  return constantTimeEqual(await sha256(token), hook.tokenHash);
}

function base64ToBytes(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}
