import { Hono, type Context } from "hono";
import { reconcile } from "./controller.js";
import type { SandboxCluster, SandboxToken } from "./cluster.js";
import { deletePod } from "./delete-pod.js";
import { evict } from "./evict.js";
import { clone } from "./objects.js";
import { ApiError, badRequest, failure, unauthorized, type Status } from "./status.js";

type Env = { Variables: { user: SandboxToken } };

const VERBS: Record<string, string> = { GET: "get", POST: "create", PATCH: "patch", PUT: "update", DELETE: "delete" };

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

  /** RBAC, reduced to two roles: a viewer may read and nothing else. */
  function authorize(c: Context<Env>, resource: string, group: string, namespace: string | undefined, name: string) {
    const user = c.get("user");
    const verb = VERBS[c.req.method] ?? c.req.method.toLowerCase();
    if (user.role === "admin" || verb === "get" || verb === "list") return;
    const plural = resource.split("/")[0]!;
    const scope = namespace ? ` in the namespace "${namespace}"` : " at the cluster scope";
    throw failure(403, "Forbidden", `${group ? `${plural}.${group}` : plural} "${name}" is forbidden: User "${user.user}" cannot ${verb} resource "${resource}" in API group "${group}"${scope}`, {
      name,
      ...(group ? { group } : {}),
      kind: plural,
    });
  }

  app.get("/version", (c) => c.json({ major: "1", minor: "28", gitVersion: "v1.28.7-sandbox", platform: "sandbox" }));
  app.get("/api", (c) => c.json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] }));
  app.get("/api/v1", (c) =>
    c.json({
      kind: "APIResourceList",
      groupVersion: "v1",
      resources: [
        { name: "namespaces", singularName: "namespace", namespaced: false, kind: "Namespace", verbs: ["create", "delete", "get", "list"] },
        { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["create", "delete", "get", "list", "patch"] },
        { name: "pods/eviction", singularName: "", namespaced: true, group: "policy", version: "v1", kind: "Eviction", verbs: ["create"] },
        { name: "pods/status", singularName: "", namespaced: true, kind: "Pod", verbs: ["get", "patch"] },
      ],
    }),
  );

  // Namespaces
  app.get("/api/v1/namespaces", (c) => list(c, "NamespaceList", "v1", [...cluster.namespaces.values()].map((s) => s.namespace)));
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
  const pods = "/api/v1/namespaces/:ns/pods";
  app.get(pods, (c) => list(c, "PodList", "v1", [...cluster.store(c.req.param("ns")).pods.values()]));
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
      return c.json(cluster.patchPod(c.req.param("ns"), c.req.param("name"), await readPatch(c), sub ? "status" : null));
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
  app.get(pdbs, (c) => list(c, "PodDisruptionBudgetList", "policy/v1", [...cluster.store(c.req.param("ns")).pdbs.values()]));
  app.post(pdbs, async (c) => {
    const body = await readBody(c);
    authorize(c, "poddisruptionbudgets", "policy", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createPdb(c.req.param("ns"), body), 201);
  });
  app.get(`${pdbs}/:name`, (c) => c.json(clone(cluster.pdb(c.req.param("ns"), c.req.param("name")))));
  for (const sub of ["", "/status"] as const) {
    app.patch(`${pdbs}/:name${sub}`, async (c) => {
      authorize(c, `poddisruptionbudgets${sub}`, "policy", c.req.param("ns"), c.req.param("name"));
      return c.json(cluster.patchPdb(c.req.param("ns"), c.req.param("name"), await readPatch(c), sub ? "status" : null));
    });
  }
  app.delete(`${pdbs}/:name`, (c) => {
    authorize(c, "poddisruptionbudgets", "policy", c.req.param("ns"), c.req.param("name"));
    return c.json(cluster.deletePdb(c.req.param("ns"), c.req.param("name")));
  });

  // ReplicaSets (enough to replace evicted pods)
  const replicaSets = "/apis/apps/v1/namespaces/:ns/replicasets";
  app.get(replicaSets, (c) => list(c, "ReplicaSetList", "apps/v1", [...cluster.store(c.req.param("ns")).replicaSets.values()]));
  app.post(replicaSets, async (c) => {
    const body = await readBody(c);
    authorize(c, "replicasets", "apps", c.req.param("ns"), nameOf(body));
    return c.json(cluster.createReplicaSet(c.req.param("ns"), body), 201);
  });
  app.get(`${replicaSets}/:name`, (c) => c.json(clone(cluster.replicaSet(c.req.param("ns"), c.req.param("name")))));

  function list(c: Context, kind: string, apiVersion: string, items: unknown[]) {
    return c.json({ kind, apiVersion, metadata: { resourceVersion: cluster.nextResourceVersion() }, items: clone(items) });
  }
  return app;
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

async function readBody(c: Context, optional = false): Promise<any> {
  const text = await c.req.text();
  if (optional && text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${error instanceof Error ? error.message : "invalid JSON"}`);
  }
}

async function readPatch(c: Context): Promise<unknown> {
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (type !== "application/merge-patch+json" && type !== "application/strategic-merge-patch+json") {
    throw failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`);
  }
  return readBody(c);
}

function nameOf(body: unknown): string {
  const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" ? name : "";
}

function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
