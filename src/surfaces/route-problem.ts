import type { Context } from "hono";
import { routeProblem, type RouteProblem } from "../eviction/problem.js";
import type { GatewayEnv } from "./context.js";

/** A problem about the route or the gateway itself (no such route, an internal error), as problem+json. */
export function renderRouteProblem(c: Context<GatewayEnv>, kind: RouteProblem, status: number, detail: string): Response {
  return c.json(routeProblem(kind, status, detail, c.get("requestId")), status as never, { "Content-Type": "application/problem+json" });
}

export const INTERNAL_ERROR_DETAIL = "The gateway failed to handle this request.";
