import type { Context } from "hono";
import * as z from "zod";
import { clusterName, dns1123Subdomain, namespaceName } from "../../eviction/names.js";
import type { Target } from "../../eviction/request.js";
import { invalidResult, toFieldErrors } from "../../eviction/validate.js";
import { answerOf, Refusal } from "../../service/answer.js";
import type { GatewayEnv } from "../context.js";
import { targetOf } from "../guards.js";

/** The path's names, validated as Kubernetes names them; a bad one is refused before anything is sent. */
export function validPath(c: Context<GatewayEnv>, names: { namespace?: boolean; node?: boolean } = {}): Target & { node: string } {
  const params = c.req.param() as Record<string, string | undefined>;
  const schema = z.object({
    cluster: clusterName,
    ...(names.namespace ? { namespace: namespaceName } : {}),
    ...(names.node ? { node: dns1123Subdomain } : {}),
  });
  const parsed = schema.safeParse(params);
  if (!parsed.success) {
    const failed = invalidResult(c.get("requestId"), targetOf(c), toFieldErrors(parsed.error, "#/path"));
    throw new Refusal(answerOf(failed.result, { errors: failed.errors }));
  }
  return { cluster: parsed.data.cluster, namespace: (parsed.data as { namespace?: string }).namespace ?? "", pod: "", node: (parsed.data as { node?: string }).node ?? "" };
}

/** Parses a value against a schema, or throws an invalid Refusal pointing at `root`. */
export function validOr<T extends z.ZodType>(c: Context<GatewayEnv>, schema: T, value: unknown, root: string, target: Target = targetOf(c)): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const failed = invalidResult(c.get("requestId"), target, toFieldErrors(parsed.error, root));
  throw new Refusal(answerOf(failed.result, { errors: failed.errors }));
}
