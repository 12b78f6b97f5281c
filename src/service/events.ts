import type { Target } from "../eviction/request.js";
import type { EvictionResult } from "../eviction/result.js";
import type { ServiceDeps } from "./deps.js";
import type { RegisteredCluster } from "./ports.js";
import { withTimeout } from "./transports.js";

/** The longest an Event may hold a blocked answer: it is a report, not part of the decision. */
const EVENT_TIMEOUT_MS = 2000;
const REPORTER = "eviction-gateway";

/**
 * Records a blocked or stuck eviction on the pod as a core/v1 Event (reason EvictionBlocked,
 * naming the budget), so people looking at the cluster see what the gateway saw. Only for
 * clusters with `events: true`, never for dry runs, and only on the 1st, 2nd, 4th, 8th… block in
 * a row, so a drain retrying every few seconds does not flood the namespace. It is sent with
 * the gateway's own credentials (a caller it impersonates may not create events), and a
 * failure only costs the Event: the eviction's answer is already decided.
 */
export async function reportBlock(deps: ServiceDeps, cluster: RegisteredCluster, target: Target, result: EvictionResult): Promise<void> {
  if (!cluster.events || result.dryRun || result.outcome !== "blocked") return;
  const count = result.attempts?.count ?? 1;
  if ((count & (count - 1)) !== 0) return;
  const now = new Date(deps.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const stuck = result.attempts?.stuck ? " The eviction looks stuck: the budget has not allowed it for a long time." : "";
  const event = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { generateName: `${target.pod}.`, namespace: target.namespace },
    involvedObject: { apiVersion: "v1", kind: "Pod", namespace: target.namespace, name: target.pod },
    reason: "EvictionBlocked",
    message: `${result.message}${stuck} (${count} blocked attempt${count === 1 ? "" : "s"} in a row)`.slice(0, 1024),
    type: "Warning",
    source: { component: REPORTER },
    reportingComponent: REPORTER,
    reportingInstance: REPORTER,
    firstTimestamp: result.attempts?.since?.replace(/\.\d{3}Z$/, "Z") ?? now,
    lastTimestamp: now,
    count,
  };
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/events`;
  await withTimeout(Math.min(EVENT_TIMEOUT_MS, cluster.timeoutMs ?? deps.config.eviction.upstreamTimeoutMs), (signal) =>
    cluster.transport.send({ method: "POST", path, body: JSON.stringify(event) }, signal),
  );
}
