import { Hono } from "hono";
import type { ClusterStatus } from "../service/ports.js";
import type { AppDeps, GatewayEnv } from "./context.js";

/** How long /readyz waits for the state store to answer one read. */
const STORE_CHECK_MS = 2_000;
/** An operation id no drain ever has (ids are UUIDs): reading it is a real round trip that finds nothing. */
const STORE_CHECK_KEY = "readyz-check";

/**
 * /healthz: the process answers. /readyz: what is wrong, per cluster (its circuits and its last
 * access check) and for the state store, never a secret nor a namespace name. 503 when this
 * replica should get no traffic: it is draining, or the store is down and fails closed. A cluster
 * with problems is reported but does not make the replica unready: every replica sees the same
 * cluster, and taking them all out of service would cut off the healthy clusters too.
 */
export function healthSurface(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    const deps = c.get("deps");
    const draining = !deps.ready();
    const store = await storeHealth(deps);
    const clusters = deps.clusters.list().map((cluster) => clusterHealth(cluster.name, cluster.status?.()));
    const ready = !draining && (store.ok || store.failMode === "open");
    return c.json({ status: ready ? "ready" : "not ready", draining, store, clusters }, ready ? 200 : 503);
  });
  app.get("/openapi.json", (c) => c.json(c.get("deps").openapi));
  return app;
}

async function storeHealth(deps: AppDeps) {
  const failMode = deps.config.store?.failMode ?? "closed";
  const kind = (deps.operations as { kind?: string }).kind ?? "unknown";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const problem = await Promise.race([
    deps.operations.loadOperation(STORE_CHECK_KEY).then(
      () => null,
      (error: unknown) => `unreachable: ${codeOf(error)}`,
    ),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${STORE_CHECK_MS} ms`), STORE_CHECK_MS))),
  ]).finally(() => clearTimeout(timer));
  return { kind, ok: problem === null, failMode, problems: problem === null ? [] : [problem] };
}

/** An error's code (ECONNREFUSED, …) or class name: its message may carry a URL or more. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : "error";
}

function clusterHealth(name: string, status: ClusterStatus | undefined) {
  if (!status) return { name, ok: true, problems: [] as string[] };
  const problems = [...(status.probe?.problems ?? [])];
  if (status.circuit === "open") problems.push(`the cluster-wide circuit is open: calls are refused for ${status.retryAfterSeconds}s more`);
  if (status.circuit === "half-open") problems.push("the cluster-wide circuit is half-open: one call is let through to see whether the cluster is back");
  if (status.openNamespaces > 0) problems.push(`the circuits of ${status.openNamespaces} namespace${status.openNamespaces === 1 ? "" : "s"} are open`);
  return { name, ok: problems.length === 0, problems, circuit: status.circuit, openNamespaces: status.openNamespaces, inFlight: status.inFlight, lastCheck: status.probe };
}
