import type { Outcome } from "./outcome.js";
import type { Attempts, DisruptionBudget, UpstreamSummary } from "./result.js";

export interface MessageFacts {
  outcome: Outcome;
  cluster: string;
  namespace: string;
  pod: string;
  retryAfterSeconds: number | null;
  upstream?: UpstreamSummary;
  disruptionBudget?: DisruptionBudget;
  attempts?: Attempts;
}

/** One human line per answer, fit for a chat reply. */
export function describe(f: MessageFacts): string {
  const where = `${f.namespace}/${f.pod} on ${f.cluster}`;
  const retry = f.retryAfterSeconds !== null ? `; retry in ${f.retryAfterSeconds}s` : "";
  const said = f.upstream?.message ? `: ${oneLine(f.upstream.message)}` : "";
  switch (f.outcome) {
    case "evicted":
      // A 201 means the eviction was accepted and the pod's graceful deletion has begun, not that it is gone:
      // it stays Terminating for its grace period, or while finalizers hold it (then a second eviction answers 201 too).
      return `Eviction accepted: pod ${where} is terminating.`;
    case "would-evict":
      return `Dry run: pod ${where} can be evicted now; nothing was deleted.`;
    case "blocked":
      return blocked(f, where, retry);
    case "throttled":
      return `The API server of ${f.cluster} is shedding load and did not evict ${f.namespace}/${f.pod}${retry}.`;
    case "misconfigured":
      return `Pod ${where} is matched by more than one PodDisruptionBudget, which eviction does not support; fix the budgets' selectors (kubectl get pdb -n ${f.namespace}).`;
    case "not-found":
      return notFound(f, where, said);
    case "conflict":
      return `Pod ${where} was changed or replaced, so its preconditions failed; read it again before retrying.`;
    case "denied":
      return `Cluster ${f.cluster} refused to evict ${f.namespace}/${f.pod}${said}.`;
    case "unavailable":
      return `No usable answer from cluster ${f.cluster} about ${f.namespace}/${f.pod}${said}${retry}.`;
    case "forwarded":
      return `Cluster ${f.cluster} answered the request${f.namespace ? ` in ${f.namespace}` : ""}.`;
    case "invalid":
      return f.upstream ? `Cluster ${f.cluster} rejected the eviction as invalid${said}.` : `The request is invalid${said}.`;
    default:
      return `${f.outcome}${retry}.`;
  }
}

/** A 404 says which object was missing: the pod (already gone), its namespace, or something the server named. */
function notFound(f: MessageFacts, where: string, said: string): string {
  const upstream = f.upstream?.message;
  if (!upstream || upstream === `pods "${f.pod}" not found`) return `Pod ${where} does not exist (already gone); nothing to evict.`;
  const namespace = /^namespaces "([^"]*)" not found$/.exec(upstream)?.[1];
  if (namespace === f.namespace) return `Namespace ${f.namespace} does not exist on ${f.cluster}, so there is no pod ${f.pod} to evict${said}.`;
  return `Cluster ${f.cluster} answered 404 for ${f.namespace}/${f.pod}${said}; nothing was evicted.`;
}

function blocked(f: MessageFacts, where: string, retry: string): string {
  const budget = f.disruptionBudget;
  let why: string;
  if (budget && budget.desiredHealthy !== null) {
    why = `PodDisruptionBudget ${budget.name} needs ${budget.desiredHealthy} healthy pods and has ${budget.currentHealthy}`;
  } else if (budget) {
    why = `PodDisruptionBudget ${budget.name} is still being processed by the cluster`;
  } else {
    why = "a PodDisruptionBudget allows no disruption now";
  }
  if (f.attempts?.stuck) {
    return (
      `Pod ${where} is stuck: blocked ${f.attempts.count} times since ${f.attempts.since} because ${why}. ` +
      `Pause the automation, check why the budget's pods are not Ready, or delete the pod directly${retry}.`
    );
  }
  return `Blocked: ${why}, so ${where} was not evicted${retry}.`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
