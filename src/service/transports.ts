import type { KubernetesEviction } from "../eviction/request.js";
import type { UpstreamReply } from "../eviction/upstream.js";
import type { Impersonation, KubeRequest } from "./ports.js";

/** What every transport does the same way: the path, the headers, the size cap, the failures. */

/** The largest upstream body the gateway reads; an eviction Status is a few hundred bytes. */
export const MAX_UPSTREAM_BODY_BYTES = 1_048_576;

export function evictionPath(namespace: string, pod: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/eviction`;
}

/** The request that creates a policy/v1 Eviction for its pod. */
export function evictionRequest(eviction: KubernetesEviction): KubeRequest {
  return { method: "POST", path: evictionPath(eviction.metadata.namespace, eviction.metadata.name), body: JSON.stringify(eviction) };
}

/** The headers every request carries besides credentials: what it accepts, its body's type, who it acts as. */
export function requestHeaders(request: KubeRequest, impersonate: Impersonation | undefined): Record<string, string> {
  return {
    accept: "application/json",
    ...(request.body !== undefined ? { "content-type": request.contentType ?? "application/json" } : {}),
    ...impersonationHeaders(impersonate),
  };
}

/** The impersonation headers for a request. */
export function impersonationHeaders(impersonate: Impersonation | undefined): Record<string, string> {
  if (!impersonate) return {};
  // Lower-case, as every other header here: one name each, whatever a kubeconfig adds.
  return { "impersonate-user": impersonate.user, ...(impersonate.group ? { "impersonate-group": impersonate.group } : {}) };
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL|ALTNAME|HANDSHAKE/i;

/** Turns whatever a client library threw into one transport failure, keeping only a short, secret-free line. */
export function failureFrom(error: unknown, signal: AbortSignal): Extract<UpstreamReply, { kind: "failure" }> {
  if (signal.aborted) return { kind: "failure", failure: "timeout", detail: "no answer before the upstream timeout" };
  const codes: string[] = [];
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") codes.push(code);
    if (e instanceof Error) messages.push(e.message);
  }
  const code = codes[0] ?? "";
  const text = `${codes.join(" ")} ${messages.join(" ")}`;
  if (/ECONNREFUSED/.test(text)) return { kind: "failure", failure: "refused", detail: "connection refused" };
  if (TLS_CODES.test(code) || /certificate|TLS|SSL/i.test(messages.join(" "))) {
    return { kind: "failure", failure: "tls", detail: `TLS failure${code ? ` (${code})` : ""}` };
  }
  if (/ETIMEDOUT|ESOCKETTIMEDOUT/.test(text)) return { kind: "failure", failure: "timeout", detail: "connection timed out" };
  // workerd hides a failed TLS handshake (an untrusted or private CA) or a lost connection behind
  // "internal error; reference = …" or "Network connection lost": say what it most likely is.
  if (/internal error; reference|Network connection lost|connection (was )?(reset|closed)/i.test(messages.join(" "))) {
    return {
      kind: "failure",
      failure: "network",
      detail: "the connection failed before an answer (on Workers, most often a certificate the Worker does not trust: it reaches only API servers with publicly trusted certificates, or through a tunnel)",
    };
  }
  // Only a code, never a library's message: an exec plugin's stderr, say, can carry a token.
  const short = /^[A-Z0-9_]{1,40}$/.test(code) ? code : "network error";
  return { kind: "failure", failure: "network", detail: short };
}

/**
 * Runs a transport call with an abort signal and a hard deadline: a transport that ignores
 * its signal still cannot hold the caller past the timeout.
 */
export async function withTimeout(ms: number, call: (signal: AbortSignal) => Promise<UpstreamReply>): Promise<UpstreamReply> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<UpstreamReply>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve({ kind: "failure", failure: "timeout", detail: `no answer within ${ms} ms` });
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
