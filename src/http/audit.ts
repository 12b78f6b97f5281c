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

/**
 * JSON lines gathered for a moment and written together (Node: to process.stdout), which
 * costs far less than one console.log per decision under load. flush() on shutdown.
 */
export function bufferedAuditSink(write: (chunk: string) => void, maxBytes = 65_536): AuditSink & { flush(): void } {
  let lines: string[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (lines.length === 0) return;
    const chunk = lines.join("");
    lines = [];
    size = 0;
    write(chunk);
  };
  return {
    write(entry) {
      const line = `${JSON.stringify({ level: "info", msg: "eviction", ...entry })}\n`;
      lines.push(line);
      size += line.length;
      if (size >= maxBytes) flush();
      else timer ??= setTimeout(flush, 20);
    },
    flush,
  };
}

/** Shortens anything a caller sent before it is logged. */
export function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
