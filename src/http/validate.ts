import type { z } from "zod";
import type { Problem } from "../eviction/result.js";

export type FieldErrors = NonNullable<Problem["errors"]>;

/** zod issues as RFC 9457 `errors` entries, each with a JSON pointer into the request. */
export function toFieldErrors(error: z.ZodError, root: string): FieldErrors {
  return error.issues.slice(0, 20).map((issue) => ({
    detail: issue.message,
    pointer: [root, ...issue.path.map((p) => String(p).replace(/~/g, "~0").replace(/\//g, "~1"))].join("/"),
  }));
}

export type BodyRead = { ok: true; value: unknown } | { ok: false; status: 400 | 415; errors: FieldErrors; message: string };

/** Parses an optional JSON body: empty means {}, anything else must be sent as application/json. */
export function parseJsonBody(text: string, contentTypeHeader: string | undefined): BodyRead {
  if (text.trim() === "") return { ok: true, value: {} };
  const type = (contentTypeHeader ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    return { ok: false, status: 415, message: "The body must be JSON, sent with Content-Type: application/json.", errors: [{ detail: "unsupported media type", pointer: "#/body" }] };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, message: "The body is not valid JSON.", errors: [{ detail: "not valid JSON", pointer: "#/body" }] };
  }
}
