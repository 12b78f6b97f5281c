import type { Context } from "hono";
import type { GatewayEnv } from "./context.js";

/** The responses built here already carry their X-Request-Id. */
const stamped = new WeakSet<Response>();

/**
 * A rendered answer as a Response with plain headers, X-Request-Id among them. Hono's c.body
 * builds a Headers object for more than one header (and for any set earlier with c.header);
 * plain headers go to the socket as they are, which halves the cost of a small answer on Node.
 */
export function respond(c: Context<GatewayEnv>, body: string, status: number, headers: Record<string, string>): Response {
  const response = new Response(body, { status, headers: { ...headers, "X-Request-Id": c.get("requestId") } });
  stamped.add(response);
  return response;
}

/** Whether a response was built by respond(): the request-id middleware adds the header to any other. */
export function carriesRequestId(response: Response): boolean {
  return stamped.has(response);
}
