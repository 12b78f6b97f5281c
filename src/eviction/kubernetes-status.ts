/**
 * The Kubernetes Status wire shape (meta/v1), as kube-apiserver writes it, field order included
 * (kind, apiVersion, metadata, status, message, reason, details, code). The sandbox answers with
 * it, and the gateway's Kubernetes-compatible route does too.
 */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** A Success Status, as kube-apiserver answers a created eviction. */
export function successStatus(code: number): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code };
}

/** A Failure Status; an empty reason is left out, as apiserver does for errors of unknown kind. */
export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): Status {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    ...(reason !== "" ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  };
}
