import type { Context, MiddlewareHandler } from "hono";
import { readCapped } from "../util/read-capped.js";
import type { GatewayEnv } from "./context.js";
import { gatewayResult, respond } from "./respond.js";

/**
 * Reads the body once, refusing one over eviction.maxBodyBytes × scale with 413: by its
 * Content-Length before reading anything, else as soon as the stream passes the limit.
 * The text is kept in c.var.body for the handler. `answer` shapes the refusal for its route.
 */
export function limitBody(scale = 1, answer?: (c: Context<GatewayEnv>, limit: number) => Response): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const limit = c.get("deps").config.eviction.maxBodyBytes * scale;

    const declared = Number(c.req.header("content-length") ?? "0");
    const deps = c.get("deps");
    const text = declared > limit ? null : await readCapped(deps.requestBody?.(c) ?? c.req.raw.body, limit);
    if (text === null) {
      c.set("decision", { outcome: "invalid", status: 413, dryRun: false });
      if (answer) return answer(c, limit);
      const params = c.req.param() as Record<string, string | undefined>;
      const target = { cluster: params.cluster ?? "", namespace: params.namespace ?? "", pod: params.pod ?? "" };
      return respond(c, gatewayResult(c.get("requestId"), target, "invalid", { message: `The body is larger than ${limit} bytes.` }), 413);
    }
    c.set("body", text);
    await next();
  };
}
