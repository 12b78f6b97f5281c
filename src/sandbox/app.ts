import { Hono, type Context } from "hono";
import { registerAccessReview } from "./access-review.js";
import { reconcile } from "./controller.js";
import type { SandboxCluster } from "./cluster.js";
import { deletePod } from "./delete-pod.js";
import { registerDiscovery } from "./discovery.js";
import { evict } from "./evict.js";
import { authorize, list, nameOf, readBody, readPatch, type SandboxEnv } from "./http.js";
import { registerEvents } from "./event-routes.js";
import { registerNodes } from "./node-routes.js";
import { clone, type Pod } from "./objects.js";
import { NAMESPACED_FIELDS, POD_FIELDS } from "./selectors.js";
import { ApiError, failure, unauthorized, type Status } from "./status.js";

type Env = SandboxEnv;

/** The sandbox's HTTP face: the slice of the Kubernetes API that evictions touch. Runs on Node and in workerd. */
export function createSandboxApp(cluster: SandboxCluster): Hono<Env> {
  const app = new Hono<Env>();

  app.onError((error, c) => {
    if (error instanceof ApiError) return write(c, error);
    return write(c, failure(500, "InternalError", `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`));
  });
  app.notFound((c) => write(c, failure(404, "NotFound", "the server could not find the requested resource", {})));

  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const token = /^Bearer (.+)$/i.exec(header)?.[1];
    const authenticated = token === undefined ? undefined : cluster.options.tokens.find((t) => timingSafeEqual(t.token, token));
    if (!authenticated) throw unauthorized();
    let user = authenticated;
    const impersonated = c.req.header("impersonate-user");
    const groups = c.req.header("impersonate-group")?.split(",").map((g) => g.trim()) ?? [];
    if (impersonated) {
      if (authenticated.role !== "admin") {
        throw failure(403, "Forbidden", `users "${impersonated}" is forbidden: User "${authenticated.user}" cannot impersonate resource "users" in API group "" at the cluster scope`, {
          name: impersonated,
          kind: "users",
        });
      }
      user = { token: authenticated.token, user: impersonated, role: cluster.options.impersonatedRoles[impersonated] ?? "admin" };
    }
    cluster.requestLog.push({ user: user.user, groups, impersonatedBy: impersonated ? authenticated.user : null, method: c.req.method, path: new URL(c.req.url).pathname });
    if (cluster.requestLog.length > 500) cluster.requestLog.shift();
    c.set("user", user);
    reconcile(cluster);
    await next();
  });

  app.get("/version", (c) => c.json({ major: "1", minor: "28", gitVersion: "v1.28.7-sandbox", platform: "sandbox" }));
  registerDiscovery(app);
  registerNodes(app, cluster);
  registerEvents(app, cluster);
  registerAccessReview(app);

  // Namespaces
  app.get("/api/v1/namespaces", (c) =>
    list(c, cluster, "NamespaceList", "v1", [...cluster.namespaces.values()].map((s) => s.namespace), ["metadata.name", "status.phase"], (n) => ({ "status.phase": n.status.phase })),
  );
  app.post("/api/v1/namespaces", async (c) => {
    const body = await readBody(c);
    authorize(c, "namespaces", "", undefined, nameOf(body));
    return c.json(cluster.createNamespace(body), 201);
  });
  app.get("/api/v1/namespaces/:ns", (c) => c.json(clone(cluster.store(c.req.param("ns")).namespace)));
  app.delete("/api/v1/namespaces/:ns", (c) => {
    authorize(c, "namespaces", "", undefined, c.req.param("ns"));
    return c.json(cluster.deleteNamespace(c.req.param("ns")));
  });

  // Pods
  // Pods, listed in one namespace or across all (kubectl drain: ?fieldSelector=spec.nodeName=<node>)
  const pods = "/api/v1/namespaces/:ns/pods";
  const podList = (c: Context, items: Pod[]) => list(c, cluster, "PodList", "v1", items, POD_FIELDS, podFields);
  app.get("/api/v1/pods", (c) => podList(c, cluster.allPods()));
  // A namespace that does not exist lists no pods (not a 404), as the server answers.
  app.get(pods, (c) => podList(c, [...(cluster.namespaces.get(c.req.param("ns"))?.pods.values() ?? [])]));
  app.post(pods, async (c) => {
    const body = await readBody(c);
    authorize(c, "pods", "", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createPod(c.req.param("ns"), body), 201);
  });
  app.get(`${pods}/:name`, (c) => c.json(clone(cluster.pod(c.req.param("ns"), c.req.param("name")))));
  app.get(`${pods}/:name/status`, (c) => c.json(clone(cluster.pod(c.req.param("ns"), c.req.param("name")))));
  for (const sub of ["", "/status"] as const) {
    app.patch(`${pods}/:name${sub}`, async (c) => {
      authorize(c, `pods${sub}`, "", c.req.param("ns"), c.req.param("name"));
      const { patch, type } = await readPatch(c);
      return c.json(cluster.patchPod(c.req.param("ns"), c.req.param("name"), patch, sub ? "status" : null, type));
    });
  }
  app.delete(`${pods}/:name`, async (c) => {
    authorize(c, "pods", "", c.req.param("ns"), c.req.param("name"));
    const body = c.req.header("content-length") === "0" ? {} : await readBody(c, true);
    const query = c.req.queries("dryRun") ?? [];
    const options = { ...body, ...(query.length > 0 ? { dryRun: query } : {}) };
    return c.json(deletePod(cluster, c.req.param("ns"), c.req.param("name"), options));
  });
  app.post(`${pods}/:name/eviction`, async (c) => {
    authorize(c, "pods/eviction", "", c.req.param("ns"), c.req.param("name"));
    const body = await readBody(c);
    const status = await evict(cluster, {
      namespace: c.req.param("ns"),
      name: c.req.param("name"),
      body,
      queryDryRun: c.req.queries("dryRun") ?? [],
      signal: c.req.raw.signal,
    });
    return c.json(status, 201);
  });

  // PodDisruptionBudgets
  const pdbs = "/apis/policy/v1/namespaces/:ns/poddisruptionbudgets";
  app.get("/apis/policy/v1/poddisruptionbudgets", (c) =>
    list(c, cluster, "PodDisruptionBudgetList", "policy/v1", [...cluster.namespaces.values()].flatMap((s) => [...s.pdbs.values()]), NAMESPACED_FIELDS),
  );
  app.get(pdbs, (c) => list(c, cluster, "PodDisruptionBudgetList", "policy/v1", [...(cluster.namespaces.get(c.req.param("ns"))?.pdbs.values() ?? [])], NAMESPACED_FIELDS));
  app.post(pdbs, async (c) => {
    const body = await readBody(c);
    authorize(c, "poddisruptionbudgets", "policy", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createPdb(c.req.param("ns"), body), 201);
  });
  app.get(`${pdbs}/:name`, (c) => c.json(clone(cluster.pdb(c.req.param("ns"), c.req.param("name")))));
  for (const sub of ["", "/status"] as const) {
    app.patch(`${pdbs}/:name${sub}`, async (c) => {
      authorize(c, `poddisruptionbudgets${sub}`, "policy", c.req.param("ns"), c.req.param("name"));
      return c.json(cluster.patchPdb(c.req.param("ns"), c.req.param("name"), (await readPatch(c)).patch, sub ? "status" : null));
    });
  }
  app.delete(`${pdbs}/:name`, (c) => {
    authorize(c, "poddisruptionbudgets", "policy", c.req.param("ns"), c.req.param("name"));
    return c.json(cluster.deletePdb(c.req.param("ns"), c.req.param("name")));
  });

  // ReplicaSets (enough to replace evicted pods)
  const replicaSets = "/apis/apps/v1/namespaces/:ns/replicasets";
  app.get(replicaSets, (c) => list(c, cluster, "ReplicaSetList", "apps/v1", [...(cluster.namespaces.get(c.req.param("ns"))?.replicaSets.values() ?? [])], NAMESPACED_FIELDS));
  app.post(replicaSets, async (c) => {
    const body = await readBody(c);
    authorize(c, "replicasets", "apps", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createReplicaSet(c.req.param("ns"), body), 201);
  });
  app.get(`${replicaSets}/:name`, (c) => c.json(clone(cluster.replicaSet(c.req.param("ns"), c.req.param("name")))));

  // Deployments (each owns one ReplicaSet; enough to find a workload's pods by its selector)
  const deployments = "/apis/apps/v1/namespaces/:ns/deployments";
  app.get(deployments, (c) => list(c, cluster, "DeploymentList", "apps/v1", cluster.deployments(c.req.param("ns")), NAMESPACED_FIELDS));
  app.post(deployments, async (c) => {
    const body = await readBody(c);
    authorize(c, "deployments", "apps", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createDeployment(c.req.param("ns"), body), 201);
  });
  app.get(`${deployments}/:name`, (c) => c.json(cluster.deployment(c.req.param("ns"), c.req.param("name"))));

  // DaemonSets (one pod per node; kubectl drain looks up a pod's DaemonSet before skipping it)
  const daemonSets = "/apis/apps/v1/namespaces/:ns/daemonsets";
  app.get(daemonSets, (c) => list(c, cluster, "DaemonSetList", "apps/v1", [...(cluster.namespaces.get(c.req.param("ns"))?.daemonSets.values() ?? [])], NAMESPACED_FIELDS));
  app.post(daemonSets, async (c) => {
    const body = await readBody(c);
    authorize(c, "daemonsets", "apps", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createDaemonSet(c.req.param("ns"), body), 201);
  });
  app.get(`${daemonSets}/:name`, (c) => c.json(clone(cluster.daemonSet(c.req.param("ns"), c.req.param("name")))));

  return app;
}

/** The selectable fields of a pod beyond its name and namespace; an unscheduled pod's spec.nodeName is "". */
function podFields(pod: Pod): Record<string, string> {
  const s = pod.spec as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return {
    "spec.nodeName": text(s.nodeName),
    "spec.restartPolicy": text(s.restartPolicy) || "Always",
    "spec.schedulerName": text(s.schedulerName) || "default-scheduler",
    "spec.serviceAccountName": text(s.serviceAccountName) || "default",
    "status.phase": pod.status.phase,
    "status.podIP": text(pod.status.podIP),
    "status.nominatedNodeName": text(pod.status.nominatedNodeName),
  };
}

function write(c: Context, error: ApiError): Response {
  const status = error.status;
  if ("text" in status) {
    return new Response(status.text, {
      status: status.code,
      headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...error.headers },
    });
  }
  return new Response(JSON.stringify(status satisfies Status), {
    status: status.code,
    headers: { "content-type": "application/json", ...error.headers },
  });
}

function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
