import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { SandboxOptions } from "../../src/sandbox/cluster.js";
import { seedDemo } from "../../src/sandbox/seed.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { OPS_KEYS, opsKeyEntries } from "./keys.js";
import { SandboxClient } from "./sandbox-client.js";

export { OPS_KEYS, opsKeyEntries };
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "./sandbox-server.js";

export interface Reply {
  status: number;
  headers: Headers;
  json: any;
}

export interface OpsHarness {
  sandbox: TestSandbox;
  s: SandboxClient;
  gateway: NodeGateway;
  audit: AuditEntry[];
  call(key: string, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** Requests the sandbox saw that change something (POST, PATCH, DELETE), of its last 500. */
  writes(): { method: string; path: string }[];
  /** Every object's identity and version, to show that nothing changed. */
  snapshot(): string;
  close(): Promise<void>;
}

/** The seeded demo world (demo, chaos, shop on worker-1, nodes) served by a test sandbox, and a Node gateway in front of it. */
export async function startOpsHarness(options: { sandbox?: Partial<SandboxOptions>; config?: Partial<GatewayConfigInput>; seed?: boolean } = {}): Promise<OpsHarness> {
  const sandbox = await startTestSandbox(options.sandbox);
  if (options.seed !== false) seedDemo(sandbox.cluster);
  const audit: AuditEntry[] = [];
  const config = parseConfig({
    clusters: [{ name: "sandbox", type: "token", server: sandbox.http.url, token: { env: "T" } }],
    apiKeys: await opsKeyEntries(),
    ...options.config,
  });
  const gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) } });
  return {
    sandbox,
    s: new SandboxClient(sandbox.http.url, ADMIN_TOKEN),
    gateway,
    audit,
    async call(key, method, path, body, headers = {}) {
      const r = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      let json: any = null;
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
      return { status: r.status, headers: r.headers, json };
    },
    writes: () => sandbox.cluster.requestLog.filter((r) => r.method !== "GET"),
    snapshot: () =>
      JSON.stringify({
        nodes: [...sandbox.cluster.nodes.values()].map((n) => [n.metadata.name, n.metadata.resourceVersion, n.spec]),
        pods: sandbox.cluster.allPods().map((p) => [p.metadata.namespace, p.metadata.name, p.metadata.uid, p.metadata.resourceVersion, p.metadata.deletionTimestamp ?? null]),
        budgets: [...sandbox.cluster.namespaces.values()].flatMap((ns) => [...ns.pdbs.values()].map((b) => [b.metadata.name, b.metadata.resourceVersion])),
      }),
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}
