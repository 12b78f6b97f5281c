import type { Context } from "hono";
import { failureStatus, successStatus, type Status, type StatusCause } from "../../eviction/kubernetes-status.js";
import { OUTCOMES } from "../../eviction/outcome.js";
import type { UpstreamReply } from "../../eviction/upstream.js";
import type { Answer } from "../../service/answer.js";
import type { GatewayEnv } from "../context.js";
import { respond } from "../respond.js";
import { record } from "../observed.js";

/** StatusReasons (apimachinery) for the HTTP statuses that say more than the outcome's usual one. */
const REASON_BY_STATUS: Record<number, { code: number; reason: string }> = {
  413: { code: 413, reason: "RequestEntityTooLarge" },
  415: { code: 415, reason: "UnsupportedMediaType" },
  422: { code: 422, reason: "Invalid" },
  500: { code: 500, reason: "InternalError" },
  504: { code: 504, reason: "Timeout" },
};

/**
 * The /k8s renderer, for kubectl, client-go and client-node: the API server's own Status when it
 * gave one, passed on as it came; otherwise a Status for the gateway's outcome. Retryable answers
 * carry retryAfterSeconds and Retry-After, as the API server writes them.
 */
export function renderStatus(c: Context<GatewayEnv>, answer: Answer): Response {
  record(c, answer);
  const { result, reply } = answer;
  // A forwarded read or cordon: the cluster's object (or List, already filtered by scope) as it came.
  if (result.outcome === "forwarded" && reply?.kind === "reply") return send(c, reply.status, reply.body, { ...answer.headers });
  const passOn = reply?.kind === "reply" && isStatusBody(reply) && result.outcome !== "throttled" && result.outcome !== "unavailable";
  if (passOn) return send(c, reply.status, reply.body, { ...answer.headers, ...(reply.retryAfter ? { "Retry-After": reply.retryAfter } : {}) });

  const { code, reason } = REASON_BY_STATUS[answer.status] ?? OUTCOMES[result.outcome].kubernetes;
  const retry = result.retryAfterSeconds;
  if (code < 300) return send(c, code, successStatus(code), { ...answer.headers });
  const causes: StatusCause[] | undefined = answer.errors?.map((e) => ({ reason: "FieldValueInvalid", message: e.detail, field: e.pointer.replace(/^#\/(body|path)\/?/, "").replace(/\//g, ".") }));
  const details = {
    ...(result.pod ? { name: result.pod, kind: "pods" } : {}),
    ...(causes?.length ? { causes } : {}),
    ...(retry !== null ? { retryAfterSeconds: retry } : {}),
  };
  return send(c, code, failureStatus(code, reason, result.message, Object.keys(details).length ? details : undefined), { ...answer.headers, ...(retry !== null ? { "Retry-After": String(retry) } : {}) });
}

function send(c: Context<GatewayEnv>, status: number, body: Status | string, headers: Record<string, string>): Response {
  return respond(c, typeof body === "string" ? body : JSON.stringify(body), status, { ...headers, "Content-Type": "application/json" });
}

function isStatusBody(reply: Extract<UpstreamReply, { kind: "reply" }>): boolean {
  if (!/json/i.test(reply.contentType ?? "")) return false;
  try {
    const value = JSON.parse(reply.body) as { kind?: unknown };
    return value?.kind === "Status";
  } catch {
    return false;
  }
}
