import { createSandboxApp } from "../../src/sandbox/app.js";
import { SandboxCluster, type SandboxOptions } from "../../src/sandbox/cluster.js";

export const ADMIN = "admin-token";
export const VIEWER = "viewer-token";

/** A sandbox answered in-process through its Hono app (real HTTP semantics, no socket). */
export function sandboxApp(options: Partial<SandboxOptions> = {}) {
  const cluster = new SandboxCluster({
    tokens: [
      { token: ADMIN, user: "admin", role: "admin" },
      { token: VIEWER, user: "kas-user", role: "viewer" },
    ],
    conflictRetry: { tries: 3, delayMs: 1 },
    ...options,
  });
  const app = createSandboxApp(cluster);
  async function call(method: string, path: string, body?: unknown, options: { token?: string | null; contentType?: string } = {}) {
    const token = options.token === undefined ? ADMIN : options.token;
    const response = await app.request(path, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { "content-type": options.contentType ?? "application/json" } : {}),
      },
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: response.status, headers: response.headers, text, json };
  }
  return { cluster, app, call };
}
