import type { Context } from "hono";
import * as z from "zod";
import type { Target } from "../../eviction/request.js";
import { waitFields, type WaitFor } from "../../eviction/wait.js";
import type { GatewayEnv } from "../context.js";
import { validOr } from "./params.js";

const WaitOnly = z.strictObject(waitFields).superRefine((r, ctx) => {
  if (r.waitFor !== undefined && r.wait === undefined) ctx.addIssue({ code: "custom", path: ["waitFor"], message: "needs wait (seconds)" });
});

/** A single eviction's body without wait and waitFor, and those two validated. */
export function splitWait(c: Context<GatewayEnv>, body: unknown, target: Target): { rest: unknown; wait: { seconds: number; for: WaitFor } | undefined } {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return { rest: body, wait: undefined };
  if (!("wait" in body) && !("waitFor" in body)) return { rest: body, wait: undefined }; // nothing to split or check
  const { wait, waitFor, ...rest } = body as Record<string, unknown>;
  const parsed = validOr(c, WaitOnly, { ...(wait !== undefined ? { wait } : {}), ...(waitFor !== undefined ? { waitFor } : {}) }, "#/body", target);
  return { rest, wait: parsed.wait !== undefined ? { seconds: parsed.wait, for: parsed.waitFor ?? "gone" } : undefined };
}
