import type { Hono } from "hono";
import * as z from "zod";
import { couldName } from "../auth/scope.js";
import { addressLimit } from "./address-limit.js";
import { authenticate } from "./authenticate.js";
import type { GatewayEnv } from "./context.js";

export const ClusterInfo = z
  .object({
    name: z.string(),
    type: z.string(),
    description: z.string().optional(),
    server: z.string().nullable().meta({ description: "The API server's URL; null for the in-process sandbox." }),
  })
  .meta({ id: "ClusterInfo" });

export const ClusterList = z.object({ clusters: z.array(ClusterInfo) }).meta({ id: "ClusterList" });
export type ClusterList = z.infer<typeof ClusterList>;

/** GET /v1/clusters: the clusters the caller's scopes cover, with no credentials. */
export function clustersRoute(app: Hono<GatewayEnv>): void {
  app.get("/v1/clusters", addressLimit, authenticate, (c) => {
    const scopes = c.get("caller").scopes;
    const body: ClusterList = {
      clusters: c
        .get("deps")
        .clusters.list()
        .filter((cluster) => couldName(scopes, cluster.name))
        .map((cluster) => ({ name: cluster.name, type: cluster.type, ...(cluster.description ? { description: cluster.description } : {}), server: cluster.server })),
    };
    return c.json(body);
  });
}
