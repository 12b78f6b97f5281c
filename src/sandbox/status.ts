import { failureStatus, type Status, type StatusCause, type StatusDetails } from "../eviction/kubernetes-status.js";

export type { Status, StatusCause, StatusDetails };

/** An API answer that is not a success, thrown inside the sandbox and written by the app. */
export class ApiError extends Error {
  constructor(
    readonly status: Status | { text: string; code: number },
    readonly headers: Record<string, string> = {},
  ) {
    super("text" in status ? status.text : (status.message ?? ""));
  }
  get code(): number {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): ApiError {
  // Retry-After is written whenever retryAfterSeconds > 0 (apiserver responsewriters.ErrorNegotiated).
  const headers: Record<string, string> = details?.retryAfterSeconds ? { "retry-after": String(details.retryAfterSeconds) } : {};
  return new ApiError(failureStatus(code, reason, message, details), headers);
}

export const SUCCESS_201: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 };

/** Resource names as apiserver errors spell them: "pods", "poddisruptionbudgets.policy". */
export interface Resource {
  group: string;
  plural: string;
}
export const PODS: Resource = { group: "", plural: "pods" };
export const PDBS: Resource = { group: "policy", plural: "poddisruptionbudgets" };
export const NAMESPACES: Resource = { group: "", plural: "namespaces" };
export const REPLICASETS: Resource = { group: "apps", plural: "replicasets" };
export const DEPLOYMENTS: Resource = { group: "apps", plural: "deployments" };
export const DAEMONSETS: Resource = { group: "apps", plural: "daemonsets" };
export const NODES: Resource = { group: "", plural: "nodes" };

function qualified(r: Resource): string {
  return r.group === "" ? r.plural : `${r.plural}.${r.group}`;
}
function detailsFor(r: Resource, name: string): StatusDetails {
  return r.group === "" ? { name, kind: r.plural } : { name, group: r.group, kind: r.plural };
}

export const notFound = (r: Resource, name: string) => failure(404, "NotFound", `${qualified(r)} "${name}" not found`, detailsFor(r, name));
export const alreadyExists = (r: Resource, name: string) =>
  failure(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, detailsFor(r, name));
export const badRequest = (message: string) => failure(400, "BadRequest", message);
export const forbidden = (r: Resource, name: string, why: string, causes?: StatusCause[]) =>
  failure(403, "Forbidden", `${qualified(r)} "${name}" is forbidden: ${why}`, { ...detailsFor(r, name), ...(causes ? { causes } : {}) });
export const unauthorized = () => failure(401, "Unauthorized", "Unauthorized");

/** A Conflict as apiserver's NewConflict spells it, with the resource given as GroupResource{"", kind}. */
export function conflict(kind: string, name: string, why: string): ApiError {
  return failure(409, "Conflict", `Operation cannot be fulfilled on ${kind} "${name}": ${why}`, { name, kind });
}

export function tooManyRequests(message: string, retryAfterSeconds: number, causes: StatusCause[]): ApiError {
  return failure(429, "TooManyRequests", message, {
    causes,
    ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}),
  });
}
