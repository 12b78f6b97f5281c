import type { Outcome } from "../eviction/outcome.js";

/** One line per decision. Holds names and outcomes, never a key, token or signature. */
export interface AuditEntry {
  time: string;
  requestId: string;
  caller: string | null;
  route: string;
  cluster: string;
  namespace: string;
  pod: string;
  dryRun: boolean;
  outcome: Outcome;
  status: number;
  upstreamStatus: number | null;
  latencyMs: number;
  retryAfter: number | null;
  reason?: string;
}

/** What a route records about its answer, for the audit line. */
export interface Decision {
  outcome: Outcome;
  status: number;
  dryRun: boolean;
  upstreamStatus?: number | null;
  retryAfter?: number | null;
  reason?: string;
}

export interface AuditSink {
  write(entry: AuditEntry): void;
}

/** JSON lines on stdout: works the same on Node and Workers (where console.log goes to the tail). */
export const consoleAuditSink: AuditSink = {
  write(entry) {
    console.log(JSON.stringify({ level: "info", msg: "eviction", ...entry }));
  },
};

/** Shortens anything a caller sent before it is logged. */
export function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
