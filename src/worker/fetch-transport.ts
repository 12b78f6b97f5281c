import type { UpstreamReply } from "../eviction/upstream.js";
import { readCapped } from "../util/read-capped.js";
import type { EvictionTransport } from "../service/ports.js";
import { evictionPath, failureFrom, impersonationHeaders, MAX_UPSTREAM_BODY_BYTES } from "../service/transports.js";

export interface FetchTransportOptions {
  server: string;
  token: string | null;
  /** The fetch to use: the global one, or an in-process app's (the Workers sandbox). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** The Workers transport (and a plain-HTTP option on Node): fetch with a bearer token. */
export function createFetchTransport(options: FetchTransportOptions): EvictionTransport {
  // A plain (url, init) call: workerd reports an unhandled rejection when a Request object's body cannot be sent.
  const send = options.fetch ?? ((url: string, init: RequestInit) => fetch(url, init));
  const base = options.server.replace(/\/+$/, "");
  return {
    async evict(eviction, signal, impersonate): Promise<UpstreamReply> {
      const url = `${base}${evictionPath(eviction.metadata.namespace, eviction.metadata.name)}`;
      const init: RequestInit = {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...impersonationHeaders(impersonate),
        },
        body: JSON.stringify(eviction),
        signal,
      };
      try {
        const response = await send(url, init);
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
