import type { EvictionRequest } from "../../eviction/request.js";
import type { FieldError } from "../../eviction/result.js";

/** A body kube-apiserver would refuse: its status, its message, and the fields at fault. */
export interface Undecodable {
  status: 400 | 422;
  message: string;
  errors?: FieldError[];
}

const UNKNOWN_FORMAT = "the body of the request was in an unknown format - accepted media types include: application/json";
const PROPAGATION_POLICIES = ["Foreground", "Background", "Orphan"];

/**
 * Reads a policy/v1 or policy/v1beta1 Eviction as kube-apiserver does, its messages included.
 * A field of the wrong JSON type is refused (as the server's decoder refuses it), never read
 * as absent: a malformed dryRun or precondition must not become an unconditional eviction.
 */
export function decodeEviction(text: string, namespace: string, pod: string, queryDryRun: string[]): EvictionRequest | Undecodable {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad(UNKNOWN_FORMAT);
  }
  if (!isObject(body)) return bad(UNKNOWN_FORMAT);
  const apiVersion = body.apiVersion ?? "policy/v1";
  if (typeof apiVersion !== "string") return wrongType("apiVersion", "string");
  if (apiVersion !== "policy/v1" && apiVersion !== "policy/v1beta1") return bad(`the API version in the data (${apiVersion.slice(0, 64)}) does not match the expected API version (policy/v1)`);
  const kind = body.kind ?? "Eviction";
  if (typeof kind !== "string") return wrongType("kind", "string");
  if (kind !== "Eviction") return bad(`the kind in the data (${kind.slice(0, 64)}) does not match the expected kind (Eviction)`);

  const metadata = body.metadata ?? {};
  if (!isObject(metadata)) return wrongType("metadata", "ObjectMeta");
  const ns = metadata.namespace ?? "";
  const name = metadata.name ?? "";
  if (typeof ns !== "string") return wrongType("metadata.namespace", "string");
  if (typeof name !== "string") return wrongType("metadata.name", "string");
  if (ns !== "" && ns !== namespace) return bad("the namespace of the provided object does not match the namespace sent on the request");
  if (name !== pod) return bad("name in URL does not match name in Eviction object");

  const options = body.deleteOptions ?? {};
  if (!isObject(options)) return wrongType("deleteOptions", "DeleteOptions");
  const bodyDryRun = options.dryRun ?? [];
  if (!Array.isArray(bodyDryRun) || bodyDryRun.some((v) => typeof v !== "string")) return wrongType("deleteOptions.dryRun", "[]string");
  const dryRun = [...queryDryRun, ...(bodyDryRun as string[])];
  if (dryRun.some((v) => v !== "All")) return invalid("dryRun", 'Unsupported value: supported values: "All"');

  const grace = options.gracePeriodSeconds ?? null;
  if (grace !== null && (typeof grace !== "number" || !Number.isInteger(grace))) return wrongType("deleteOptions.gracePeriodSeconds", "int64");
  const policy = options.propagationPolicy ?? null;
  if (policy !== null && typeof policy !== "string") return wrongType("deleteOptions.propagationPolicy", "string");
  if (policy !== null && !PROPAGATION_POLICIES.includes(policy)) {
    return invalid("propagationPolicy", `Unsupported value: "${policy.slice(0, 64)}": supported values: ${PROPAGATION_POLICIES.map((p) => `"${p}"`).join(", ")}`);
  }
  const orphan = options.orphanDependents ?? null;
  if (orphan !== null && typeof orphan !== "boolean") return wrongType("deleteOptions.orphanDependents", "bool");

  const preconditions = options.preconditions ?? {};
  if (!isObject(preconditions)) return wrongType("deleteOptions.preconditions", "Preconditions");
  const uid = preconditions.uid ?? null;
  const resourceVersion = preconditions.resourceVersion ?? null;
  if (uid !== null && typeof uid !== "string") return wrongType("deleteOptions.preconditions.uid", "types.UID");
  if (resourceVersion !== null && typeof resourceVersion !== "string") return wrongType("deleteOptions.preconditions.resourceVersion", "string");

  return {
    ...(dryRun.length ? { dryRun: true } : {}),
    ...(grace !== null ? { gracePeriodSeconds: grace } : {}),
    ...(uid || resourceVersion ? { preconditions: { ...(uid ? { uid } : {}), ...(resourceVersion ? { resourceVersion } : {}) } } : {}),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function bad(message: string): Undecodable {
  return { status: 400, message };
}

/** kube-apiserver's decoder: `json: cannot unmarshal … into Go struct field … of type …`. */
function wrongType(field: string, type: string): Undecodable {
  return { status: 400, message: `json: cannot unmarshal the value into Go struct field Eviction.${field} of type ${type}`, errors: [{ detail: `must be of type ${type}`, pointer: `#/body/${field.replace(/\./g, "/")}` }] };
}

function invalid(field: string, detail: string): Undecodable {
  return { status: 422, message: `DeleteOptions.meta.k8s.io "" is invalid: ${field}: ${detail}`, errors: [{ detail, pointer: `#/body/deleteOptions/${field}` }] };
}
