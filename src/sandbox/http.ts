import type { Context } from "hono";
import type { PatchType, SandboxCluster, SandboxToken } from "./cluster.js";
import { clone } from "./objects.js";
import { parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { badRequest, failure } from "./status.js";

/** What the sandbox's route files share: the request's user, RBAC, bodies, patches and lists. */

export type SandboxEnv = { Variables: { user: SandboxToken } };

const VERBS: Record<string, string> = { GET: "get", POST: "create", PATCH: "patch", PUT: "update", DELETE: "delete" };

/** RBAC, reduced to two roles: a viewer may read and nothing else. */
export function authorize(c: Context<SandboxEnv>, resource: string, group: string, namespace: string | undefined, name: string): void {
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

export async function readBody(c: Context, optional = false): Promise<any> {
  const text = await c.req.text();
  if (optional && text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${error instanceof Error ? error.message : "invalid JSON"}`);
  }
}

/** A patch body and its type, from Content-Type (415 for any other, as the server answers). */
export async function readPatch(c: Context): Promise<{ patch: unknown; type: PatchType }> {
  const media = (c.req.header("content-type") ?? "").split(";")[0]!.trim();
  if (media !== "application/merge-patch+json" && media !== "application/strategic-merge-patch+json") {
    throw failure(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`);
  }
  return { patch: await readBody(c), type: media === "application/merge-patch+json" ? "merge" : "strategic" };
}

export function nameOf(body: unknown): string {
  const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return typeof name === "string" ? name : "";
}

interface Listable {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/**
 * A List of `items` filtered by `?labelSelector=` and `?fieldSelector=` (400 for a field the
 * resource does not support). `fields` gives each object's selectable fields beyond its name and namespace.
 */
export function list<T extends Listable>(
  c: Context,
  cluster: SandboxCluster,
  kind: string,
  apiVersion: string,
  items: T[],
  supportedFields: readonly string[],
  fields: (item: T) => Record<string, string> = () => ({}),
): Response {
  const labels = parseLabelSelector(c.req.query("labelSelector"));
  const byField = parseFieldSelector(c.req.query("fieldSelector"), supportedFields);
  const selected = items.filter(
    (item) => labels(item.metadata.labels ?? {}) && byField({ "metadata.name": item.metadata.name, "metadata.namespace": item.metadata.namespace ?? "", ...fields(item) }),
  );
  return c.json({ kind, apiVersion, metadata: { resourceVersion: cluster.nextResourceVersion() }, items: clone(selected) });
}
