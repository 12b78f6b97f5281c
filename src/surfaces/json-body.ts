import { gatewayResult } from "../eviction/build.js";
import type { Target } from "../eviction/request.js";
import { answerOf, Refusal } from "../service/answer.js";

/** The status of a body that is not JSON. */
const UNSUPPORTED_MEDIA_TYPE = 415;

/**
 * Parses an optional JSON body: empty means {}, anything else must be sent as application/json.
 * Throws a Refusal (400 or 415) for anything else.
 */
export function parseJsonBody(text: string, contentTypeHeader: string | undefined, requestId: string, target: Target): unknown {
  if (text.trim() === "") return {};
  const type = (contentTypeHeader ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
    const result = gatewayResult(requestId, target, "invalid", { message: "The body must be JSON, sent with Content-Type: application/json." });
    throw new Refusal(answerOf(result, { status: UNSUPPORTED_MEDIA_TYPE, errors: [{ detail: "unsupported media type", pointer: "#/body" }] }));
  }
  return parseJson(text, requestId, target);
}

/** Parses JSON, or throws a 400 Refusal. */
export function parseJson(text: string, requestId: string, target: Target): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const result = gatewayResult(requestId, target, "invalid", { message: "The body is not valid JSON." });
    throw new Refusal(answerOf(result, { errors: [{ detail: "not valid JSON", pointer: "#/body" }] }));
  }
}
