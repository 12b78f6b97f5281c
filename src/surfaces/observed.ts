import type { Context, MiddlewareHandler } from "hono";
import type { Answer } from "../service/answer.js";
import { observe } from "../service/observe.js";
import type { GatewayEnv } from "./context.js";
import { traceIdFrom } from "./traceparent.js";

/** Records an answer given to this request; the renderers call it, so nothing sent goes unrecorded. */
export function record(c: Context<GatewayEnv>, answer: Answer): void {
  c.get("answers").push(answer);
}

/**
 * Around every surface: once the answer is sent, writes an audit line and the metrics for each
 * answer recorded (one, or one per batch item), whichever surface and whatever outcome, with the
 * trace id of a valid `traceparent`.
 */
export const observed: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  const deps = c.get("deps");
  const started = deps.clock.now();
  c.set("answers", []);
  await next();
  const route = c.req.routePath;
  const caller = c.get("caller")?.id ?? null;
  // The caller's W3C trace, so its audit lines can be found from the trace that made them.
  const traceId = traceIdFrom(c.req.header("traceparent"));
  for (const answer of c.get("answers")) observe(deps, { answer, caller, route, started, traceId });
};
