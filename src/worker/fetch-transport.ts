import type { UpstreamReply } from "../eviction/upstream.js";
import { readCapped } from "../util/read-capped.js";
import type { ClusterTransport } from "../service/ports.js";
import { failureFrom, MAX_UPSTREAM_BODY_BYTES, requestHeaders } from "../service/transports.js";

export interface FetchTransportOptions {
  server: string;
  token: string | null;
  /** The fetch to use: the global one, or an in-process app's (the Workers sandbox). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** The Workers transport: fetch with a bearer token. */
export function createFetchTransport(options: FetchTransportOptions): ClusterTransport {
  // A plain (url, init) call: workerd reports an unhandled rejection when a Request object's body cannot be sent.
  const fetchOnce = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const base = options.server.replace(/\/+$/, "");
  const authorization: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  return {
    async send(request, signal, impersonate): Promise<UpstreamReply> {
      const init: RequestInit = {
        method: request.method,
        headers: { ...requestHeaders(request, impersonate), ...authorization },
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal,
      };
      try {
        const response = await fetchOnce(`${base}${request.path}`, init);
        const body = await readCapped(response.body, MAX_UPSTREAM_BODY_BYTES);
        if (body === null) return { kind: "failure", failure: "too-large", detail: `answer larger than ${MAX_UPSTREAM_BODY_BYTES} bytes (HTTP ${response.status})` };
        return {
          kind: "reply",
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          contentType: response.headers.get("content-type"),
          body,
        };
      } catch (error) {
        return failureFrom(error, signal);
      }
    },
  };
}
