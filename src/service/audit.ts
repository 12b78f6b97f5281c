import type { AuditSink } from "./ports.js";

/** JSON lines on stdout: works the same on Node and Workers (where console.log goes to the tail). */
export const consoleAuditSink: AuditSink = {
  write(entry) {
    console.log(JSON.stringify({ level: "info", msg: "eviction", ...entry }));
  },
};

/** Audit lines are written at least this often… */
const AUDIT_FLUSH_MS = 20;
/** …or as soon as this much is waiting. */
const AUDIT_BUFFER_BYTES = 65_536;
/** The longest caller-chosen text an audit line keeps. */
export const MAX_LOGGED_TEXT = 64;

/**
 * JSON lines gathered for a moment and written together (Node: to process.stdout), which
 * costs far less than one console.log per decision under load. flush() on shutdown.
 */
export function bufferedAuditSink(write: (chunk: string) => void, maxBytes = AUDIT_BUFFER_BYTES): AuditSink & { flush(): void } {
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
      else timer ??= setTimeout(flush, AUDIT_FLUSH_MS);
    },
    flush,
  };
}

/** Shortens anything a caller sent before it is logged. */
export function clip(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}
