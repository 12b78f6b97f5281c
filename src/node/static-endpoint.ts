import type { KubeEndpoint } from "./kube-transport.js";

/** A cluster reached with a fixed bearer token and, optionally, a private CA (PEM): the `token` and `sandbox` types. */
export function staticEndpoint(server: string, token: string, caPem: string | undefined): KubeEndpoint {
  if (!/^https?:\/\//.test(server)) throw new Error("server must be an http(s) URL");
  const options = { headers: { authorization: `Bearer ${token}` }, ...(caPem ? { ca: caPem } : {}) };
  const credentials = Promise.resolve(options);
  return { server, credentials: () => credentials };
}
