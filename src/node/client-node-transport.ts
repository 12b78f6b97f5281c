import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { CoreV1Api, type KubeConfig, type V1Eviction } from "@kubernetes/client-node";
import type { UpstreamReply } from "../eviction/upstream.js";
import type { EvictionTransport } from "../service/ports.js";
import { failureFrom, impersonationHeaders, MAX_UPSTREAM_BODY_BYTES } from "../service/transports.js";

interface ResponseLike {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string>; binary(): Promise<Buffer> };
}

/**
 * The Node transport: @kubernetes/client-node, so every way a kubeconfig can
 * authenticate (tokens, client certificates, exec plugins, private CAs) works.
 * A middleware captures the raw answer before client-node parses it, so the gateway
 * classifies exactly what the API server said (client-node would read a 201 Status
 * as an Eviction, and accepts bodies that are not Kubernetes objects at all).
 */
export function createClientNodeTransport(kubeConfig: KubeConfig): EvictionTransport {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  const agents = keepAliveAgents();
  return {
    async evict(eviction, signal, impersonate): Promise<UpstreamReply> {
      let captured: UpstreamReply | null = null;
      // The object-parameter API runs "observable" middleware: each hook returns something with toPromise().
      const options = {
        middleware: [
          {
            pre: <T extends { setSignal(s: AbortSignal): void; setHeaderParam(k: string, v: string): void; getAgent(): unknown; setAgent(a: unknown): void }>(context: T) => {
              context.setSignal(signal);
              context.setAgent(agents.reuse(context.getAgent()));
              for (const [name, value] of Object.entries(impersonationHeaders(impersonate))) context.setHeaderParam(name, value);
              return { toPromise: () => Promise.resolve(context) };
            },
            post: (response: ResponseLike) => ({
              toPromise: async () => {
                const text = await response.body.text();
                captured =
                  Buffer.byteLength(text) > MAX_UPSTREAM_BODY_BYTES
                    ? { kind: "failure", failure: "too-large", detail: `answer larger than ${MAX_UPSTREAM_BODY_BYTES} bytes (HTTP ${response.httpStatusCode})` }
                    : {
                        kind: "reply",
                        status: response.httpStatusCode,
                        retryAfter: response.headers["retry-after"] ?? null,
                        contentType: response.headers["content-type"] ?? null,
                        body: text,
                      };
                response.body = { text: async () => text, binary: async () => Buffer.from(text) };
                return response;
              },
            }),
          },
        ],
        middlewareMergeStrategy: "append" as const,
      };
      try {
        await api.createNamespacedPodEvictionWithHttpInfo(
          { name: eviction.metadata.name, namespace: eviction.metadata.namespace, body: eviction as V1Eviction },
          options as never,
        );
      } catch (error) {
        // Non-2xx answers throw ApiException after the middleware has captured them; anything else failed on the way.
        if (!captured) return failureFrom(error, signal);
      }
      return captured ?? { kind: "failure", failure: "network", detail: "no answer captured" };
    },
  };
}

/**
 * client-node builds a fresh agent for every request, so every eviction would pay for a new
 * TCP and TLS handshake. This keeps one keep-alive agent per distinct set of TLS options
 * (CA, client certificate, key, verification), and builds a new one when they change, as
 * they do when an exec plugin or a rotated file hands out new credentials.
 */
function keepAliveAgents() {
  const FIELDS = ["ca", "cert", "key", "pfx", "passphrase", "rejectUnauthorized", "servername"] as const;
  let cached: { options: Record<string, unknown>; https: boolean; agent: HttpAgent } | null = null;
  const same = (a: unknown, b: unknown) => a === b || (Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b)) || JSON.stringify(a) === JSON.stringify(b);
  return {
    reuse(fresh: unknown): unknown {
      // Proxy agents (SOCKS, HTTP(S) proxies) are left as client-node made them.
      if (!(fresh instanceof HttpAgent) || (fresh.constructor !== HttpsAgent && fresh.constructor !== HttpAgent)) return fresh;
      const options = (fresh as HttpAgent & { options: Record<string, unknown> }).options;
      const https = fresh.constructor === HttpsAgent;
      if (!cached || cached.https !== https || !FIELDS.every((f) => same(cached!.options[f], options[f]))) {
        cached?.agent.destroy();
        const keepAlive = { ...options, keepAlive: true, maxSockets: 128, noDelay: true };
        cached = { options, https, agent: https ? new HttpsAgent(keepAlive) : new HttpAgent(keepAlive) };
      }
      fresh.destroy();
      return cached.agent;
    },
  };
}
