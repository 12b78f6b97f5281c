import { EvictionRequest, EvictionTarget } from "../eviction/request.js";
import type { EvictionResult } from "../eviction/result.js";
import { clip } from "./audit.js";
import { gatewayResult, type Target } from "./respond.js";
import { toFieldErrors, type FieldErrors } from "./validate.js";

export type EvictionInput =
  | { ok: true; target: EvictionTarget; request: EvictionRequest }
  | { ok: false; result: EvictionResult; errors: FieldErrors };

/**
 * Validates one eviction: the pod named as Kubernetes names it, the body against the strict
 * request schema. Shared by the REST route, batches and webhooks; `where` places the pointers.
 */
export function validateEviction(requestId: string, params: Target, body: unknown, where: { target: string; body: string } = { target: "#/path", body: "#/body" }): EvictionInput {
  const target = EvictionTarget.safeParse(params);
  const request = EvictionRequest.safeParse(body);
  if (target.success && request.success) return { ok: true, target: target.data, request: request.data };
  const errors = [...(target.success ? [] : toFieldErrors(target.error, where.target)), ...(request.success ? [] : toFieldErrors(request.error, where.body))];
  const message = `The request is invalid: ${errors.map((e) => `${e.pointer.replace(/^#\//, "")} ${e.detail}`).join("; ")}.`;
  return { ok: false, result: gatewayResult(requestId, params, "invalid", { message: clip(message, 500) }), errors };
}
