import type { EvictionRequest } from "../eviction/request.js";
import type { Target } from "./respond.js";

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header-07): an sf-string such as
 * "8e03978e-…"; a bare token is accepted too. Returns null for anything else.
 */
export function parseIdempotencyKey(header: string): string | null {
  const trimmed = header.trim();
  const quoted = /^"([\x20-\x21\x23-\x5b\x5d-\x7e]{1,255})"$/.exec(trimmed);
  if (quoted) return quoted[1]!;
  return /^[A-Za-z0-9._:~+/=-]{1,255}$/.test(trimmed) ? trimmed : null;
}

/** What makes two requests "the same": the pod and the body, with keys in a fixed order. */
export async function fingerprint(target: Target, request: EvictionRequest): Promise<string> {
  const canonical = JSON.stringify([target.cluster, target.namespace, target.pod, sortKeys(request)]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}
