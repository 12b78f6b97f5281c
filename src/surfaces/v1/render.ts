import type { Context } from "hono";
import { evictionProblem } from "../../eviction/problem.js";
import type { Answer } from "../../service/answer.js";
import type { GatewayEnv } from "../context.js";
import { record } from "../observed.js";
import { respond } from "../respond.js";

/** The headers every JSON answer carries; browser headers mean nothing to API clients. */
const BASE_HEADERS = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };

/**
 * The /v1 and hooks renderer: an answer as JSON when it succeeded, else as RFC 9457
 * problem+json carrying the same members; Retry-After whenever it is retryable.
 */
export function renderProblem(c: Context<GatewayEnv>, answer: Answer): Response {
  record(c, answer);
  const { result, status } = answer;
  const headers: Record<string, string> = { ...BASE_HEADERS, ...answer.headers };
  if (result.retryAfterSeconds !== null) headers["Retry-After"] = String(result.retryAfterSeconds);
  if (answer.replayed) headers["Idempotent-Replayed"] = "true";
  if (status < 400) return respond(c, JSON.stringify(result), status, { ...headers, "Content-Type": "application/json" });
  const problem = evictionProblem(result, status, { ...(answer.errors ? { errors: answer.errors } : {}), ...(answer.extensions ? { extensions: answer.extensions } : {}) });
  return respond(c, JSON.stringify(problem), status, { ...headers, "Content-Type": "application/problem+json" });
}

/** A JSON body that is not one eviction's answer (a batch, a list). */
export function renderJson(c: Context<GatewayEnv>, body: unknown, answers: Answer[] = []): Response {
  for (const answer of answers) record(c, answer);
  return respond(c, JSON.stringify(body), 200, { ...BASE_HEADERS, "Content-Type": "application/json" });
}
