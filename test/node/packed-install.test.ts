import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateProxy } from "../support/gate-proxy.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// The package as a user or an image installs it: `npm pack`, then only the production
// dependencies in an empty folder, then `node dist/node/main.js`, with no TypeScript tooling.
const ROOT = new URL("../..", import.meta.url).pathname;
let app: string;
let sandbox: TestSandbox;

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), "egw-packed-"));
  const npm = (args: string[], cwd: string) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  npm(["pack", "--pack-destination", work], ROOT); // prepack builds dist/
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
  execFileSync("tar", ["-xzf", join(work, tarball), "-C", work]);
  app = join(work, "package");
  copyFileSync(join(ROOT, "package-lock.json"), join(app, "package-lock.json"));
  npm(["ci", "--omit=dev", "--prefer-offline", "--ignore-scripts"], app);
  sandbox = await startTestSandbox();
}, 240_000);
afterAll(async () => {
  await sandbox?.close();
});

function start(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ["dist/node/main.js", ...args], { cwd: app, env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), PORT: "0", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = waitFor("the packed gateway to listen", () => /"url":"(http:[^"]+)"/.exec(err)?.[1], 30_000);
  return { child, url, stdout: () => out, stderr: () => err, exited };
}

describe("the packed package, production dependencies only", () => {
  it("holds the build and none of the TypeScript tooling", () => {
    expect(existsSync(join(app, "dist/node/main.js"))).toBe(true);
    expect(existsSync(join(app, "src"))).toBe(false);
    for (const dev of ["tsx", "typescript", "vitest", "wrangler", "node-forge"]) expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
  });

  it("starts on its embedded default and evicts a demo pod", async () => {
    const gateway = start([], {});
    try {
      const url = await gateway.url;
      const key = await waitFor("the demo key", () => /export EGW_KEY=(\S+)/.exec(gateway.stdout())?.[1]);
      const r = await fetch(`${url}/v1/clusters/sandbox/namespaces/demo/pods/web-1/eviction`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { outcome: string }).outcome).toBe("evicted");
      gateway.child.kill("SIGTERM");
      expect(await gateway.exited).toBe(0);
    } finally {
      gateway.child.kill("SIGKILL");
    }
  }, 60_000);

  it("drains on SIGTERM: the eviction in flight finishes, then it exits 0", async () => {
    const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
    await s.createNamespace("packed");
    await s.createPod("packed", "held");
    const gate = await startGateProxy(sandbox.http.url, (path) => path.endsWith("/pods/held/eviction"));
    const dir = mkdtempSync(join(tmpdir(), "egw-packed-config-"));
    writeFileSync(join(dir, "gateway.json"), JSON.stringify({ clusters: [{ name: "sandbox", type: "token", server: gate.url, token: { env: "T" } }], apiKeys: await testKeyEntries() }));
    const gateway = start(["--config", join(dir, "gateway.json")], { T: ADMIN_TOKEN });
    try {
      const url = await gateway.url;
      const inFlight = fetch(`${url}/v1/clusters/sandbox/namespaces/packed/pods/held/eviction`, { method: "POST", headers: { authorization: `Bearer ${TEST_KEYS.full}` } });
      await waitFor("the eviction to be in flight", () => (gate.held() === 1 ? true : undefined));
      gateway.child.kill("SIGTERM");
      await waitFor("the drain to begin", () => (gateway.stderr().includes('"msg":"draining"') ? true : undefined));
      gate.open();
      expect((await inFlight).status).toBe(200);
      expect(await gateway.exited).toBe(0);
    } finally {
      gate.open();
      gateway.child.kill("SIGKILL");
      await gate.close();
    }
  }, 60_000);
});
