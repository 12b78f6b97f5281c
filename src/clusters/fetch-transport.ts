import type { UpstreamReply } from "../eviction/upstream.js";
import { failureFrom, readCapped } from "./network-errors.js";
import { evictionPath, MAX_UPSTREAM_BODY_BYTES, type EvictionTransport } from "./transport.js";

export interface FetchTransportOptions {
  server: string;
  token: string | null;
  /** The fetch to use: the global one, or an in-process app's (the Workers sandbox). */
  fetch?: (request: Request) => Promise<Response>;
}

/** The Workers transport (and a plain-HTTP option on Node): fetch with a bearer token. */
export function createFetchTransport(options: FetchTransportOptions): EvictionTransport {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const base = options.server.replace(/\/+$/, "");
  return {
    async evict(eviction, signal): Promise<UpstreamReply> {
      const request = new Request(`${base}${evictionPath(eviction.metadata.namespace, eviction.metadata.name)}`, {
        method: "POST",
        headers: {
          accept: "application/json",
          "content-type": "application/json",
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        body: JSON.stringify(eviction),
        signal,
      });
      try {
        const response = await send(request);
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
