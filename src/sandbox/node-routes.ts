import type { Hono } from "hono";
import type { SandboxCluster } from "./cluster.js";
import { authorize, list, nameOf, readBody, readPatch, type SandboxEnv } from "./http.js";
import { clone } from "./objects.js";
import { NODE_FIELDS } from "./selectors.js";

/** Nodes: create, get, list and patch (a patch of spec.unschedulable is how kubectl cordons and uncordons). */
export function registerNodes(app: Hono<SandboxEnv>, cluster: SandboxCluster): void {
  const nodes = "/api/v1/nodes";
  app.get(nodes, (c) => list(c, cluster, "NodeList", "v1", [...cluster.nodes.values()], NODE_FIELDS, (n) => ({ "spec.unschedulable": String(Boolean(n.spec.unschedulable)) })));
  app.post(nodes, async (c) => {
    const body = await readBody(c);
    authorize(c, "nodes", "", undefined, nameOf(body));
    return c.json(cluster.createNode(body), 201);
  });
  for (const sub of ["", "/status"] as const) {
    app.get(`${nodes}/:name${sub}`, (c) => c.json(clone(cluster.node(c.req.param("name")))));
    app.patch(`${nodes}/:name${sub}`, async (c) => {
      authorize(c, `nodes${sub}`, "", undefined, c.req.param("name"));
      const { patch, type } = await readPatch(c);
      return c.json(cluster.patchNode(c.req.param("name"), patch, type, sub ? "status" : null));
    });
  }
}
