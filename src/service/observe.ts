import { isDns1123Label, isDns1123Subdomain } from "../eviction/names.js";
import type { Answer } from "./answer.js";
import { clip } from "./audit.js";
import type { AuditSink, Clock, ClusterRegistry, Metrics } from "./ports.js";

/**
 * A name as the audit line keeps it: a valid Kubernetes name as it is, anything else only by its
 * length, so a key or token pasted into a path never lands in the log.
 */
function logged(name: string, valid: (name: string) => boolean): string {
  if (name === "" || valid(name)) return name;
  return `(not a valid name, ${name.length} chars)`;
}

/** The longest caller-given reason an audit line keeps. */
const MAX_LOGGED_REASON = 256;

export interface Observation {
  answer: Answer;
  caller: string | null;
  route: string;
  /** When the request arrived (ms). */
  started: number;
  /** The W3C trace id the caller sent (a valid `traceparent`), if any. */
  traceId?: string | null;
}

/**
 * The one place an answer is recorded: its audit line and its metrics, for every surface and
 * every kind of answer (refusals, replays and batch items included).
 */
export function observe(deps: { audit: AuditSink; metrics: Metrics; clusters: ClusterRegistry; clock: Clock }, o: Observation): void {
  const { result, status, reason, replayed } = o.answer;
  deps.audit.write({
    time: new Date(o.started).toISOString(),
    requestId: result.requestId,
    caller: o.caller,
    route: o.route,
    cluster: logged(result.cluster, isDns1123Label),
    namespace: logged(result.namespace, isDns1123Label),
    pod: logged(result.pod, isDns1123Subdomain),
    dryRun: result.dryRun,
    outcome: result.outcome,
    status,
    upstreamStatus: replayed ? null : (result.upstream?.status ?? null),
    latencyMs: deps.clock.now() - o.started,
    retryAfter: result.retryAfterSeconds,
    ...(o.traceId ? { traceId: o.traceId } : {}),
    ...(replayed ? { replayed: true } : {}),
    ...(reason ? { reason: clip(reason, MAX_LOGGED_REASON) } : {}),
  });
  // Only registered cluster names become label values: a caller cannot grow the series.
  deps.metrics.decision(o.route, result.outcome, deps.clusters.get(result.cluster) ? result.cluster : "other");
}
