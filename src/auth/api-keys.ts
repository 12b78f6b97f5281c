import type { ApiKeyConfig } from "../config/schema.js";

/** The time source (the service's Clock port, structurally): auth reads no clock of its own. */
export interface Clock {
  now(): number;
}

/** The id is public (it names the caller in logs); the secret part never leaves the caller. */
const KEY_FORMAT = /^egw_([a-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface Caller {
  /** The key's id: safe to log and show. */
  id: string;
  scopes: ApiKeyConfig["scopes"];
}

export type Authentication = { ok: true; caller: Caller } | { ok: false; reason: "missing" | "malformed" | "unknown" } | { ok: false; reason: "expired"; expiresAt: string };

/**
 * Checks `Authorization: Bearer egw_<id>_<secret>` against the configured SHA-256 hashes.
 * Every path hashes and compares once, in constant time, so timing tells nothing about which ids exist.
 */
export class ApiKeyVerifier {
  private readonly byId: Map<string, { hash: Uint8Array; key: ApiKeyConfig; expiresMs: number }>;
  private static readonly DUMMY = new Uint8Array(32);
  /**
   * Headers already proven to hold a configured key, so a busy caller is not hashed on every
   * request (WebCrypto's digest is asynchronous and costs more than the rest of a 401).
   * Only successes are kept, at most 1024, oldest dropped first.
   */
  private readonly verified = new Map<string, { caller: Caller; expiresMs: number; expiresAt?: string }>();

  constructor(
    keys: ApiKeyConfig[],
    private readonly clock: Clock,
  ) {
    this.byId = new Map(keys.map((key) => [key.id, { hash: hexToBytes(key.hash.slice("sha256:".length)), key, expiresMs: key.expiresAt ? Date.parse(key.expiresAt) : Infinity }]));
  }

  async verify(authorization: string | undefined): Promise<Authentication> {
    if (authorization === undefined || authorization.trim() === "") return { ok: false, reason: "missing" };
    const known = this.verified.get(authorization);
    if (known) return this.unlessExpired(known);
    const match = /^Bearer +(\S+) *$/i.exec(authorization);
    const parsed = match ? KEY_FORMAT.exec(match[1]!) : null;
    const entry = parsed ? this.byId.get(parsed[1]!) : undefined;
    const digest = await sha256(match?.[1] ?? authorization);
    const equal = constantTimeEqual(digest, entry?.hash ?? ApiKeyVerifier.DUMMY);
    if (!parsed) return { ok: false, reason: "malformed" };
    if (!entry || !equal) return { ok: false, reason: "unknown" };
    // The secret is proven before expiry is told, so an expired key's owner learns it and nobody else does.
    const proven = { caller: { id: entry.key.id, scopes: entry.key.scopes }, expiresMs: entry.expiresMs, ...(entry.key.expiresAt ? { expiresAt: entry.key.expiresAt } : {}) };
    this.verified.set(authorization, proven);
    if (this.verified.size > 1024) this.verified.delete(this.verified.keys().next().value!);
    return this.unlessExpired(proven);
  }

  private unlessExpired(proven: { caller: Caller; expiresMs: number; expiresAt?: string }): Authentication {
    if (this.clock.now() >= proven.expiresMs) return { ok: false, reason: "expired", expiresAt: proven.expiresAt! };
    return { ok: true, caller: proven.caller };
  }
}

export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** A new key and its config entry; used by `npm run keygen` and the embedded default. */
export async function generateApiKey(scopes: ApiKeyConfig["scopes"], description?: string, expiresAt?: string): Promise<{ key: string; entry: ApiKeyConfig }> {
  const id = randomString(8, "abcdefghijklmnopqrstuvwxyz0123456789");
  const secret = randomString(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
  const key = `egw_${id}_${secret}`;
  const entry = await entryFor(key, scopes, description);
  return { key, entry: expiresAt ? { ...entry, expiresAt } : entry };
}

/** The config entry for an existing key (GATEWAY_DEMO_KEY, a key being re-registered). */
export async function entryFor(key: string, scopes: ApiKeyConfig["scopes"], description?: string): Promise<ApiKeyConfig> {
  const parsed = KEY_FORMAT.exec(key);
  if (!parsed) throw new Error("an API key has the form egw_<8 of a-z0-9>_<43 of A-Za-z0-9_->");
  const hash = `sha256:${bytesToHex(await sha256(key))}`;
  return { id: parsed[1]!, hash, ...(description ? { description } : {}), scopes };
}

function randomString(length: number, alphabet: string): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}
