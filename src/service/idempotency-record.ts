import type { IdempotencyBegin, StoredResponse } from "./ports.js";

/** One idempotency record, as every store keeps it. */
export type IdempotencyRecord = { fingerprint: string; state: "in-flight"; expires: number } | { fingerprint: string; state: "done"; expires: number; response: StoredResponse };

/** The decision for a new request against what is stored. Pure: every store applies it the same way. */
export function decideBegin(record: IdempotencyRecord | null, fingerprint: string, now: number): IdempotencyBegin {
  if (record === null || record.expires <= now) return { state: "started" };
  if (record.fingerprint !== fingerprint) return { state: "mismatch" };
  if (record.state === "in-flight") return { state: "in-flight" };
  return { state: "replay", response: record.response };
}
