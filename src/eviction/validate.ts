import type { z } from "zod";
import { echoTarget, gatewayResult } from "./build.js";
import { EvictionRequest, EvictionTarget } from "./request.js";
import type { EvictionResult, FieldError } from "./result.js";

/** How many validation problems one answer lists. */
const MAX_FIELD_ERRORS = 20;
/** The longest message an invalid answer carries. */
const MAX_INVALID_MESSAGE = 500;

export type EvictionInput = { ok: true; target: EvictionTarget; request: EvictionRequest } | { ok: false; result: EvictionResult; errors: FieldError[] };

/** zod issues as RFC 9457 `errors` entries, each with a JSON pointer into the request. */
export function toFieldErrors(error: z.ZodError, root: string): FieldError[] {
  return error.issues.slice(0, MAX_FIELD_ERRORS).map((issue) => ({
    detail: issue.message,
    pointer: [root, ...issue.path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1"))].join("/"),
  }));
}

/** One invalid result listing its field errors. */
export function invalidResult(requestId: string, target: { cluster?: unknown; namespace?: unknown; pod?: unknown }, errors: FieldError[], dryRun = false): EvictionInput & { ok: false } {
  const message = `The request is invalid: ${errors.map((e) => `${e.pointer.replace(/^#\//, "")} ${e.detail}`).join("; ")}.`;
  const clipped = message.length > MAX_INVALID_MESSAGE ? `${message.slice(0, MAX_INVALID_MESSAGE)}…` : message;
  return { ok: false, result: gatewayResult(requestId, echoTarget(target), "invalid", { dryRun, message: clipped }), errors };
}

/**
 * Validates one eviction: the pod named as Kubernetes names it, the body against the strict
 * request schema. Shared by every surface; `where` places the pointers. Untrusted values of any
 * type are read, never coerced.
 */
export function validateEviction(
  requestId: string,
  target: { cluster?: unknown; namespace?: unknown; pod?: unknown },
  body: unknown,
  where: { target: string; body: string } = { target: "#/path", body: "#/body" },
): EvictionInput {
  const parsedTarget = EvictionTarget.safeParse(target);
  const request = EvictionRequest.safeParse(body);
  if (parsedTarget.success && request.success) return { ok: true, target: parsedTarget.data, request: request.data };
  const errors = [...(parsedTarget.success ? [] : toFieldErrors(parsedTarget.error, where.target)), ...(request.success ? [] : toFieldErrors(request.error, where.body))];
  return invalidResult(requestId, target, errors);
}

/** Splits a flat item ({cluster, namespace, pod, …body}) into its target and body, whatever JSON it is. */
export function splitItem(raw: unknown): { target: Record<string, unknown>; body: unknown } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { target: {}, body: raw };
  const { cluster, namespace, pod, ...body } = raw as Record<string, unknown>;
  return { target: { cluster, namespace, pod }, body };
}
