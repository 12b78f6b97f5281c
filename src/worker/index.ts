import { routeProblem } from "../eviction/problem.js";
import type { WorkerEnv } from "./bindings.js";
import { gatewayFor } from "./gateway.js";

export { GatewayState } from "./state-object.js";

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const result = await gatewayFor(env);
    if ("error" in result) {
      return Response.json(routeProblem("gateway-misconfigured", 503, result.error, crypto.randomUUID()), { status: 503, headers: { "Content-Type": "application/problem+json" } });
    }
    return result.app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerEnv>;
