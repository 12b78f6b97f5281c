import type { UpstreamReply } from "../eviction/upstream.js";
import type { Clock, ClusterProbe, ClusterTransport } from "./ports.js";

export const ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
/** The longest reason from the API server that is repeated. */
const MAX_REASON = 160;

/** The review the probe asks for: may these credentials create pods/eviction (in any namespace)? */
export const EVICTION_ACCESS_REVIEW = {
  apiVersion: "authorization.k8s.io/v1",
  kind: "SelfSubjectAccessReview",
  spec: { resourceAttributes: { verb: "create", group: "", resource: "pods", subresource: "eviction" } },
};

/**
 * The access check over a cluster's own transport (its URL, TLS trust, credentials and proxy,
 * before any circuit): one SelfSubjectAccessReview, every answer turned into a problem phrase.
 * Never impersonates: it checks the gateway's own identity.
 */
export function accessProbe(transport: ClusterTransport, clock: Clock): ClusterProbe {
  return {
    async checkAccess(signal) {
      let reply: UpstreamReply;
      try {
        reply = await transport.send({ method: "POST", path: ACCESS_REVIEW_PATH, body: JSON.stringify(EVICTION_ACCESS_REVIEW) }, signal);
      } catch {
        reply = { kind: "failure", failure: "network", detail: "the transport failed" };
      }
      const problems = problemsOf(reply);
      return { checkedAt: new Date(clock.now()).toISOString(), ok: problems.length === 0, problems };
    },
  };
}

function problemsOf(reply: UpstreamReply): string[] {
  if (reply.kind === "failure") {
    switch (reply.failure) {
      case "refused":
        return ["unreachable: connection refused"];
      case "tls":
        return [`TLS not trusted: ${reply.detail}`];
      case "timeout":
        return [`unreachable: ${reply.detail}`];
      default:
        return [`unreachable: ${reply.detail}`];
    }
  }
  if (reply.status === 401) return ["credentials rejected (401 Unauthorized)"];
  if (reply.status === 403) return ["credentials accepted, but not allowed to create selfsubjectaccessreviews (403), so eviction rights are unknown"];
  if (reply.status === 404) return ["no SelfSubjectAccessReview API here (404): is the server URL a Kubernetes API server?"];
  if (reply.status < 200 || reply.status >= 300) return [`the access check answered HTTP ${reply.status}`];
  let review: { kind?: unknown; status?: { allowed?: unknown; reason?: unknown } };
  try {
    review = JSON.parse(reply.body) as typeof review;
  } catch {
    return ["the access check's answer is not JSON"];
  }
  if (review?.kind !== "SelfSubjectAccessReview" || typeof review.status?.allowed !== "boolean") return ["the access check's answer is not a SelfSubjectAccessReview"];
  if (review.status.allowed) return [];
  const reason = typeof review.status.reason === "string" && review.status.reason ? ` (${review.status.reason.slice(0, MAX_REASON)})` : "";
  return [`credentials accepted, but not allowed to create pods/eviction in every namespace${reason}; a namespaced Role may still allow some`];
}
