import { TIMEOUT_HTTP_STATUS, type Outcome } from "./outcome.js";
import type { DisruptionBudget, UpstreamSummary } from "./result.js";
import type { UpstreamReply } from "./upstream.js";

export interface Classification {
  outcome: Outcome;
  upstream: UpstreamSummary;
  disruptionBudget?: DisruptionBudget;
  /** The upstream's own hint (Retry-After header, else details.retryAfterSeconds), if it gave one > 0. */
  upstreamRetryAfterSeconds: number | null;
  /** Set when the HTTP status differs from the outcome's usual one (504 for an upstream timeout). */
  httpStatus?: number;
}

/** A Status as it may arrive: every field unchecked until read. */
interface UntrustedStatus {
  kind?: unknown;
  status?: unknown;
  message?: unknown;
  reason?: unknown;
  code?: unknown;
  details?: { causes?: unknown; retryAfterSeconds?: unknown };
}

const MULTIPLE_BUDGETS = "This pod has more than one PodDisruptionBudget";
const BUDGET_VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget";
const EXHAUSTED = /^The disruption budget (\S+) needs (\d+) healthy pods and has (\d+) currently/;
const PROCESSING = /^The disruption budget (\S+) is still being processed by the server/;

/** The longest wait the gateway passes on from an API server's hint: one day. */
const MAX_UPSTREAM_RETRY_SECONDS = 86_400;

/** Turns one API server answer (or the lack of one) into one outcome. Pure: `now` (ms) reads HTTP-date hints. */
export function classify(reply: UpstreamReply, dryRun: boolean, now: number): Classification {
  if (reply.kind === "failure") {
    return {
      outcome: "unavailable",
      upstream: { status: null, reason: reply.failure, message: reply.detail, causes: [] },
      upstreamRetryAfterSeconds: reply.retryAfterSeconds ?? null,
      ...(reply.failure === "timeout" ? { httpStatus: TIMEOUT_HTTP_STATUS } : {}),
    };
  }

  const status = parseStatus(reply.body, reply.contentType);
  const causes = readCauses(status);
  const upstream: UpstreamSummary = {
    status: reply.status,
    reason: typeof status?.reason === "string" && status.reason !== "" ? status.reason : null,
    message: status !== null ? (typeof status.message === "string" ? scrub(status.message) : null) : plainText(reply.body),
    causes,
  };
  const upstreamRetryAfterSeconds = retryAfterFrom(reply.retryAfter, status, now);
  const base = { upstream, upstreamRetryAfterSeconds };

  if (reply.status >= 200 && reply.status < 300) {
    // Only a Status (or an echoed Eviction) proves the API server handled it; anything else is not an answer.
    if (reply.body.trim() !== "" && status === null) return unparseable(upstream);
    return { ...base, outcome: dryRun ? "would-evict" : "evicted" };
  }
  switch (reply.status) {
    case 429: {
      const budgetCause = causes.find((c) => c.reason === "DisruptionBudget");
      if (budgetCause || (typeof status?.message === "string" && status.message.startsWith(BUDGET_VIOLATION))) {
        const disruptionBudget = budgetCause?.message ? parseBudget(budgetCause.message) : undefined;
        return { ...base, outcome: "blocked", ...(disruptionBudget ? { disruptionBudget } : {}) };
      }
      return { ...base, outcome: "throttled" };
    }
    case 404:
      return { ...base, outcome: "not-found" };
    case 409:
      return { ...base, outcome: "conflict" };
    case 401:
    case 403:
      return { ...base, outcome: "denied" };
    case 400:
    case 422:
      return { ...base, outcome: "invalid" };
    case 500:
      if (typeof status?.message === "string" && status.message.startsWith(MULTIPLE_BUDGETS)) return { ...base, outcome: "misconfigured" };
      return { ...base, outcome: "unavailable" };
    case 504:
      return { ...base, outcome: "unavailable", httpStatus: TIMEOUT_HTTP_STATUS };
    default:
      return { ...base, outcome: "unavailable" };
  }
}

function unparseable(upstream: UpstreamSummary): Classification {
  return {
    outcome: "unavailable",
    upstream: { ...upstream, reason: "UnparseableResponse", message: "the API server's answer was not a Kubernetes Status" },
    upstreamRetryAfterSeconds: null,
  };
}

function parseStatus(body: string, contentType: string | null): UntrustedStatus | null {
  if (contentType !== null && !/json/i.test(contentType)) return null;
  if (body.length === 0) return null;
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as UntrustedStatus) : null;
  } catch {
    return null;
  }
}

function readCauses(status: UntrustedStatus | null): UpstreamSummary["causes"] {
  const raw = status?.details?.causes;
  if (!Array.isArray(raw)) return [];
  return raw.slice(0, 20).flatMap((c: unknown) => {
    if (c === null || typeof c !== "object") return [];
    const { reason, message, field } = c as Record<string, unknown>;
    return [
      {
        ...(typeof reason === "string" ? { reason } : {}),
        ...(typeof message === "string" ? { message: scrub(message) } : {}),
        ...(typeof field === "string" ? { field } : {}),
      },
    ];
  });
}

/** A non-JSON body (APF's text/plain 429, a proxy's HTML page) shortened to one line. */
function plainText(body: string): string | null {
  const line = body.replace(/\s+/g, " ").trim();
  if (line === "") return null;
  return scrub(line, MAX_PLAIN_TEXT);
}

/** The longest upstream message passed on, and the longest line of a body that is not JSON. */
const MAX_UPSTREAM_MESSAGE = 1000;
const MAX_PLAIN_TEXT = 200;
/** What looks like a credential in upstream text: bearer tokens, JWTs, key=value secrets. */
const CREDENTIALS = [/\b(bearer\s+)[^\s"',]+/gi, /\beyJ[\w-]{8,}\.[\w-]+\.[\w-]*/g, /\b((?:token|password|passwd|secret|api[-_]?key)\s*[=:]\s*)[^\s"',]+/gi, /\begw_[a-z0-9]{8}_[\w-]{43}\b/g];

/**
 * Upstream text as the gateway passes it on: credentials blanked and the length bounded. A proxy
 * or webhook in front of the API server may echo what it was sent, tokens included.
 */
export function scrub(text: string, max = MAX_UPSTREAM_MESSAGE): string {
  let out = text;
  for (const pattern of CREDENTIALS) out = out.replace(pattern, (_m, prefix?: string) => `${typeof prefix === "string" ? prefix : ""}[redacted]`);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** Retry-After as delay-seconds or HTTP-date (RFC 9110 §10.2.3), else the Status's retryAfterSeconds. */
export function retryAfterFrom(header: string | null, status: UntrustedStatus | null, now: number): number | null {
  if (header !== null) {
    const trimmed = header.trim();
    if (/^\d+$/.test(trimmed)) {
      const seconds = Number(trimmed);
      if (seconds > 0) return Math.min(seconds, MAX_UPSTREAM_RETRY_SECONDS);
    } else {
      const at = Date.parse(trimmed);
      if (!Number.isNaN(at) && at > now) return Math.min(Math.ceil((at - now) / 1000), MAX_UPSTREAM_RETRY_SECONDS);
    }
  }
  const seconds = status?.details?.retryAfterSeconds;
  if (typeof seconds === "number" && Number.isInteger(seconds) && seconds > 0) return Math.min(seconds, MAX_UPSTREAM_RETRY_SECONDS);
  return null;
}

/** Reads the budget's name and counts out of the DisruptionBudget cause message. */
export function parseBudget(message: string): DisruptionBudget | undefined {
  const exhausted = EXHAUSTED.exec(message);
  if (exhausted) {
    return { name: exhausted[1]!, desiredHealthy: Number(exhausted[2]), currentHealthy: Number(exhausted[3]) };
  }
  const processing = PROCESSING.exec(message);
  if (processing) return { name: processing[1]!, desiredHealthy: null, currentHealthy: null };
  return undefined;
}
