import type { Hono } from "hono";
import type { SandboxCluster } from "./cluster.js";
import { authorize, list, readBody, type SandboxEnv } from "./http.js";
import { failure } from "./status.js";

/** The most events the sandbox keeps; the oldest go first, as a real server's event TTL drops them. */
const MAX_EVENTS = 1000;

export interface SandboxEvent {
  apiVersion: "v1";
  kind: "Event";
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  involvedObject: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  [field: string]: unknown;
}

/** core/v1 Events: created by whoever reports on an object (the gateway, for blocked evictions), listed by people. */
export function registerEvents(app: Hono<SandboxEnv>, cluster: SandboxCluster): void {
  const events = cluster.events;
  const path = "/api/v1/namespaces/:ns/events";
  app.get(path, (c) =>
    list(
      c,
      cluster,
      "EventList",
      "v1",
      events.filter((e) => e.metadata.namespace === c.req.param("ns")),
      ["involvedObject.name", "involvedObject.kind", "reason", "type"],
      (e) => ({ "involvedObject.name": e.involvedObject.name ?? "", "involvedObject.kind": e.involvedObject.kind ?? "", reason: e.reason ?? "", type: e.type ?? "" }),
    ),
  );
  app.post(path, async (c) => {
    const ns = c.req.param("ns");
    cluster.store(ns); // 404 for a namespace that does not exist
    const body = (await readBody(c)) as Partial<SandboxEvent> & { metadata?: { name?: string; generateName?: string } };
    const name = body.metadata?.name ?? (body.metadata?.generateName ? `${body.metadata.generateName}${Math.floor(cluster.options.random() * 36 ** 5).toString(36)}` : undefined);
    authorize(c, "events", "", ns, name ?? "");
    if (!name) throw failure(422, "Invalid", `Event "" is invalid: metadata.name: Required value: name or generateName is required`, { kind: "Event" });
    if (!body.involvedObject || typeof body.involvedObject !== "object") {
      throw failure(422, "Invalid", `Event "${name}" is invalid: involvedObject: Required value`, { kind: "Event", name });
    }
    const event: SandboxEvent = {
      ...body,
      apiVersion: "v1",
      kind: "Event",
      involvedObject: body.involvedObject,
      metadata: { name, namespace: ns, uid: crypto.randomUUID(), resourceVersion: String(cluster.now()), creationTimestamp: cluster.timestamp() },
    };
    events.push(event);
    if (events.length > MAX_EVENTS) events.shift();
    return c.json(event, 201);
  });
}
