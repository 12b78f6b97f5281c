import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { GatewayEnv } from "./context.js";
import { gatewayResult, respond } from "./respond.js";

/** Refuses a body over eviction.maxBodyBytes (413) before it is read in full. `answer` shapes the refusal for its route. */
export function limitBody(scale = 1, answer?: (c: Context<GatewayEnv>, limit: number) => Response): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const limit = c.get("deps").config.eviction.maxBodyBytes * scale;
    return bodyLimit({
      maxSize: limit,
      onError: (c) => {
        c.set("decision", { outcome: "invalid", status: 413, dryRun: false });
        if (answer) return answer(c as Context<GatewayEnv>, limit);
        const params = c.req.param() as Record<string, string | undefined>;
        const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
        return respond(c, gatewayResult(c.get("requestId"), target, "invalid", { message: `The body is larger than ${limit} bytes.` }), 413);
      },
    })(c, next);
  };
}
