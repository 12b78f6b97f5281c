import type { Context, ErrorHandler } from "hono";
import type { Answer } from "../service/answer.js";
import { Refusal, storeUnavailableAnswer } from "../service/answer.js";
import { StoreUnavailable } from "../service/state-guard.js";
import type { GatewayEnv } from "./context.js";
import { targetOf } from "./guards.js";

/**
 * A surface's error handler: a Refusal thrown by a guard or the surface is rendered by the
 * surface's one renderer, and so is a state store that fails closed; anything else is an internal error, in the surface's own shape.
 */
export function renderRefusals(render: (c: Context<GatewayEnv>, answer: Answer) => Response, internal: (c: Context<GatewayEnv>) => Response): ErrorHandler<GatewayEnv> {
  return (error, c) => {
    if (error instanceof Refusal) return render(c, error.answer);
    if (error instanceof StoreUnavailable) return render(c, storeUnavailableAnswer(c.get("requestId"), targetOf(c)));
    logInternal(c, error);
    return internal(c);
  };
}

/** An unexpected error: its name only, never its message (it may carry what a caller sent). */
export function logInternal(c: Context<GatewayEnv>, error: unknown): void {
  console.error(JSON.stringify({ level: "error", msg: "unhandled error", requestId: c.get("requestId"), error: error instanceof Error ? error.name : "unknown" }));
}
