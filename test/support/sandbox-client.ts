/**
 * Test fixtures made through the sandbox's own Kubernetes API, with fetch, so the same
 * helpers work from Node and from inside workerd.
 */
export interface PodSpec {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  phase?: "Pending" | "Running" | "Succeeded" | "Failed";
  ready?: boolean;
}

export class SandboxClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { "content-type": contentType } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  private async ok(response: Promise<Response>): Promise<any> {
    const r = await response;
    const text = await r.text();
    if (!r.ok) throw new Error(`sandbox answered ${r.status}: ${text}`);
    return JSON.parse(text);
  }

  createNamespace(name: string) {
    return this.ok(this.call("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }));
  }

  deleteNamespace(name: string) {
    return this.ok(this.call("DELETE", `/api/v1/namespaces/${name}`));
  }

  /** A pod, by default Running and Ready. */
  async createPod(namespace: string, name: string, spec: PodSpec = {}) {
    const pod = await this.ok(
      this.call("POST", `/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: spec.labels ?? {}, ...(spec.annotations ? { annotations: spec.annotations } : {}) },
        spec: { containers: [{ name: "c", image: "pause" }] },
      }),
    );
    const phase = spec.phase ?? "Running";
    if (phase === "Pending") return pod;
    const ready = spec.ready ?? phase === "Running";
    return this.ok(
      this.call(
        "PATCH",
        `/api/v1/namespaces/${namespace}/pods/${name}/status`,
        { status: { phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] } },
        "application/merge-patch+json",
      ),
    );
  }

  getPod(namespace: string, name: string) {
    return this.call("GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
  }

  createPdb(namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
    return this.ok(
      this.call("POST", `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name, ...(annotations ? { annotations } : {}) },
        spec,
      }),
    );
  }

  getPdb(namespace: string, name: string) {
    return this.ok(this.call("GET", `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}`));
  }

  patchPdbStatus(namespace: string, name: string, status: Record<string, unknown>) {
    return this.ok(this.call("PATCH", `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}/status`, { status }, "application/merge-patch+json"));
  }

  evict(namespace: string, name: string, eviction: Record<string, unknown> = {}, query = "") {
    return this.call("POST", `/api/v1/namespaces/${namespace}/pods/${name}/eviction${query}`, {
      apiVersion: "policy/v1",
      kind: "Eviction",
      metadata: { name, namespace },
      ...eviction,
    });
  }
}
