import { Hono } from "hono";
import { ApiKeyVerifier } from "./auth/api-keys.js";
import { OidcVerifier } from "./auth/oidc.js";
import { LocalOperationRunner } from "./service/operation-runner.js";
import { noMetrics } from "./service/ports.js";
import { StateGuard } from "./service/state-guard.js";
import type { AppDeps, GatewayDeps, GatewayEnv } from "./surfaces/context.js";
import { chatSurface } from "./surfaces/chat/app.js";
import { healthSurface } from "./surfaces/health.js";
import { hooksSurface } from "./surfaces/hooks/app.js";
import { k8sSurface } from "./surfaces/k8s/app.js";
import { observed } from "./surfaces/observed.js";
import { carriesRequestId } from "./surfaces/respond.js";
import { logInternal } from "./surfaces/refusals.js";
import { INTERNAL_ERROR_DETAIL, renderRouteProblem } from "./surfaces/route-problem.js";
import { v1Surface } from "./surfaces/v1/app.js";

export type { GatewayDeps } from "./surfaces/context.js";

/** The X-Request-Id the gateway takes from a caller: hex digits and dashes, as UUIDs and trace ids are. */
const CALLER_REQUEST_ID = /^[0-9a-f][0-9a-f-]{7,63}$/i;
/** How much of an unknown path a 404 echoes. */
const MAX_ECHOED_PATH = 200;

/**
 * The gateway as a Hono app: the surfaces mounted over one set of deps. Knows nothing of Node
 * or Workers (everything runtime-specific arrives in `deps`), nor of any surface's renderer.
 */
export function createApp(deps: GatewayDeps): Hono<GatewayEnv> {
  const { store, operationDriver, ...rest } = deps;
  const appDeps: AppDeps = {
    ...rest,
    limits: store,
    idempotency: store,
    history: store,
    operations: store,
    metrics: deps.metrics ?? noMetrics,
    guard: new StateGuard(store, deps.config.store?.failMode ?? "closed", deps.clock),
    keys: new ApiKeyVerifier(deps.config.apiKeys, deps.clock),
    oidc: new OidcVerifier(deps.config.oidc.issuers, deps.clock),
    slack: deps.slack ?? null,
    driver: { start: async () => {} },
  };
  appDeps.driver = operationDriver ? operationDriver(appDeps) : new LocalOperationRunner(() => appDeps);
  const app = new Hono<GatewayEnv>();
  app.use(
    "*",
    async (c, next) => {
      // A caller's X-Request-Id is kept only when it looks like one (a UUID or a hex trace id):
      // anything else, a key pasted by mistake included, is replaced and never logged.
      const given = c.req.header("x-request-id");
      const id = given && CALLER_REQUEST_ID.test(given) ? given : crypto.randomUUID();
      c.set("requestId", id);
      c.set("deps", appDeps);
      await next();
      // The renderers put it in their answers' headers; anything else gets it here.
      if (!carriesRequestId(c.res)) c.header("X-Request-Id", id);
    },
    observed,
  );
  // Each surface renders its own errors; these two answer what reaches no surface.
  app.onError((error, c) => {
    logInternal(c, error);
    return renderRouteProblem(c, "internal", 500, INTERNAL_ERROR_DETAIL);
  });
  app.notFound((c) => {
    return renderRouteProblem(c, "no-route", 404, `No route for ${c.req.method} ${new URL(c.req.url).pathname.slice(0, MAX_ECHOED_PATH)}.`);
  });

  app.route("/", healthSurface());
  app.route("/", v1Surface());
  app.route("/", hooksSurface());
  app.route("/", k8sSurface());
  app.route("/", chatSurface());
  return app;
}
