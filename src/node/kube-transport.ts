import type { RequestOptions } from "node:https";
import type { ConnectionOptions } from "node:tls";
import { Agent, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from "undici";
import type { UpstreamReply } from "../eviction/upstream.js";
import type { ClusterTransport } from "../service/ports.js";
import { failureFrom, MAX_UPSTREAM_BODY_BYTES, requestHeaders } from "../service/transports.js";
import { readCapped } from "../util/read-capped.js";

/** Connections kept per cluster; the service's own concurrency limits sit below this. */
export const CONNECTIONS_PER_CLUSTER = 128;

/** The TLS material a kubeconfig hands out; a change (a rotated client certificate) means a new pool. */
const TLS_FIELDS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;
type TlsMaterial = Pick<ConnectionOptions, (typeof TLS_FIELDS)[number]>;

export interface KubeTransport extends ClusterTransport {
  close(): Promise<void>;
}

/** Where a cluster is and how to authenticate to it: asked before every request. */
export interface KubeEndpoint {
  /** The API server's URL; a path in it (a proxy in front of several clusters) is kept. */
  server: string;
  /** An HTTP(S) or SOCKS proxy to reach it through. */
  proxyUrl?: string;
  /** TLS material (ca, cert, key, …) and headers (authorization) for the next request. */
  credentials(): Promise<RequestOptions>;
}

/**
 * The Node transport: one pooled undici dispatcher per cluster (reused keep-alive connections,
 * only the headers the API server needs), with the credentials its endpoint hands out for each
 * request. A kubeconfig's endpoint (kubeconfig-endpoint.ts) covers every way client-node
 * authenticates; a token cluster's is fixed (static-endpoint.ts).
 */
export function createKubeTransport(endpoint: KubeEndpoint): KubeTransport {
  const server = new URL(endpoint.server);
  const origin = server.origin;
  const prefix = server.pathname.replace(/\/+$/, "");
  let pool: { tls: TlsMaterial; dispatcher: Dispatcher } | null = null;
  const credentials = () => endpoint.credentials();

  const dispatcherFor = (tls: TlsMaterial): Dispatcher => {
    if (pool && TLS_FIELDS.every((f) => same(pool!.tls[f], tls[f]))) return pool.dispatcher;
    // Requests already on the old pool finish there; close() waits for them.
    void pool?.dispatcher.close().catch(() => {});
    pool = { tls, dispatcher: newDispatcher(endpoint.proxyUrl, tls) };
    return pool.dispatcher;
  };

  return {
    async send(request, signal, impersonate): Promise<UpstreamReply> {
      let options: RequestOptions;
      try {
        options = await credentials();
      } catch {
        // An exec plugin's or token file's error text can carry secrets: only say what failed.
        return { kind: "failure", failure: "network", detail: "the cluster's credentials could not be obtained (exec plugin, token file or auth provider)" };
      }
      try {
        const response = await dispatcherFor(tlsOf(options)).request({
          origin,
          path: `${prefix}${request.path}`,
          method: request.method,
          headers: { ...credentialHeaders(options), ...requestHeaders(request, impersonate) },
          ...(request.body !== undefined ? { body: request.body } : {}),
          signal,
        });
        const body = await readBody(response);
        if (body === null) {
          return { kind: "failure", failure: "too-large", detail: `answer larger than ${MAX_UPSTREAM_BODY_BYTES} bytes (HTTP ${response.statusCode})` };
        }
        return {
          kind: "reply",
          status: response.statusCode,
          retryAfter: header(response.headers["retry-after"]),
          contentType: header(response.headers["content-type"]),
          body,
        };
      } catch (error) {
        return failureFrom(error, signal);
      }
    },
    // Called after the gateway has drained: whatever is still upstream is cut, not waited for.
    async close() {
      await pool?.dispatcher.destroy().catch(() => {});
      pool = null;
    },
  };
}

function newDispatcher(proxyUrl: string | undefined, tls: TlsMaterial): Dispatcher {
  const connect = { ...tls, keepAlive: true, keepAliveInitialDelay: 30_000 };
  if (!proxyUrl) return new Agent({ connect, connections: CONNECTIONS_PER_CLUSTER });
  // undici's SOCKS agent takes the TLS options for the API server as `requestTls` (its types lag behind).
  if (proxyUrl.startsWith("socks")) return new Socks5ProxyAgent(proxyUrl, { requestTls: tls, connections: CONNECTIONS_PER_CLUSTER } as Socks5ProxyAgent.Options);
  return new ProxyAgent({ uri: proxyUrl, requestTls: tls, connections: CONNECTIONS_PER_CLUSTER });
}

function tlsOf(options: RequestOptions): TlsMaterial {
  const tls: TlsMaterial = {};
  for (const field of TLS_FIELDS) {
    const value = (options as Record<string, unknown>)[field];
    if (value !== undefined) (tls as Record<string, unknown>)[field] = value;
  }
  return tls;
}

/** Authorization (a bearer token, or basic auth from `username`/`password`) and any header the kubeconfig adds. */
function credentialHeaders(options: RequestOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = String(value);
  if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  return headers;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return (a as Buffer).equals(b as Buffer);
  return JSON.stringify(a) === JSON.stringify(b);
}

function header(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? (value[0] ?? null) : value;
}

/**
 * The answer's body, or null when it is larger than the gateway reads. An answer that states its
 * length within the cap (an eviction's Status always does) is read whole, which costs less than
 * reading it chunk by chunk; undici refuses a body longer than its Content-Length.
 */
async function readBody(response: Dispatcher.ResponseData): Promise<string | null> {
  const length = Number(response.headers["content-length"] ?? Number.NaN);
  if (length <= MAX_UPSTREAM_BODY_BYTES) return response.body.text();
  return readCapped(response.body, MAX_UPSTREAM_BODY_BYTES);
}
