import type { RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeEndpoint } from "./kube-transport.js";

/**
 * A cluster as a @kubernetes/client-node KubeConfig describes it: every way it authenticates
 * (tokens, token files, client certificates, exec plugins, auth providers, in-cluster service
 * accounts, private CAs, proxies).
 *
 * Credentials written in the kubeconfig itself (a token, certificate and CA data) cannot change,
 * so they are worked out once. Credentials from an exec plugin, an auth provider or a file (a
 * rotated token or certificate, an in-cluster service account) are asked for before every
 * request; client-node caches an exec plugin's answer until it expires, so the first request
 * after a rotation carries the new one.
 */
export function kubeConfigEndpoint(kc: KubeConfig): KubeEndpoint {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const ask = async () => {
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    delete options.agent; // client-node's own agent; requests go through the transport's pool
    return options;
  };
  const user = kc.getCurrentUser();
  const changing = !user || Boolean(user.exec || user.authProvider || user.certFile || user.keyFile || cluster.caFile || (user as { tokenFile?: string }).tokenFile);
  let fixed: Promise<RequestOptions> | null = null;
  const once = () => {
    fixed ??= ask().catch((error: unknown) => {
      fixed = null; // a failure is not kept: the next request asks again
      throw error;
    });
    return fixed;
  };
  return { server: cluster.server, ...(cluster.proxyUrl ? { proxyUrl: cluster.proxyUrl } : {}), credentials: changing ? ask : once };
}

/** Loads @kubernetes/client-node only for the cluster types that need a KubeConfig: it is large, and most of it is never used here. */
export async function newKubeConfig(): Promise<KubeConfig> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  return new KubeConfig();
}
