import type { Hono } from "hono";
import { readBody, type SandboxEnv } from "./http.js";
import { badRequest } from "./status.js";

const READ_VERBS = new Set(["get", "list", "watch"]);

/**
 * authorization.k8s.io/v1 SelfSubjectAccessReview: "may I …?", answered for the request's own
 * user (or the one it impersonates) by the sandbox's two roles, as a real server answers from RBAC.
 */
export function registerAccessReview(app: Hono<SandboxEnv>): void {
  app.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", async (c) => {
    const body = await readBody(c);
    if (body?.kind !== "SelfSubjectAccessReview") throw badRequest(`SelfSubjectAccessReview in version "v1" cannot be handled as a ${typeof body?.kind === "string" ? body.kind : "object"}`);
    const spec = body.spec ?? {};
    const resource = spec.resourceAttributes;
    const nonResource = spec.nonResourceAttributes;
    if ((resource === undefined) === (nonResource === undefined)) {
      throw badRequest('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
    }
    const verb = typeof (resource ?? nonResource)?.verb === "string" ? (resource ?? nonResource).verb : "";
    const user = c.get("user");
    const allowed = user.role === "admin" || READ_VERBS.has(verb);
    return c.json(
      {
        kind: "SelfSubjectAccessReview",
        apiVersion: "authorization.k8s.io/v1",
        metadata: { creationTimestamp: null },
        spec,
        status: { allowed, ...(allowed ? { reason: `RBAC: allowed by the sandbox's ${user.role} role` } : {}) },
      },
      201,
    );
  });
}
