import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runEntry } from "../support/spawn.js";

// npm run check-config (and a start) name every config problem at once, one line each, exit 2:
// before, each start stopped at the first, one restart per fix.
const dir = mkdtempSync(join(tmpdir(), "egw-check-"));
const file = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));

let broken: string;
beforeAll(() => {
  const kubeconfig = file(
    "kubeconfig",
    "apiVersion: v1\nkind: Config\nclusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443' } }]\nusers: [{ name: u, user: { token: abc } }]\ncontexts: [{ name: ctx, context: { cluster: c, user: u } }]\ncurrent-context: ctx\n",
  );
  const malformed = file("malformed-kubeconfig", "users:\n- name: u\n  user:\n    password: hunter2secret\n   bad: [indent\n");
  broken = file(
    "broken.yaml",
    [
      "clusters:",
      "  - { name: prod, type: token, server: 'https://10.0.0.1:6443', token: { env: PROD_TOKEN } }",
      `  - { name: gone, type: kubeconfig, path: ${join(dir, "no-such-kubeconfig")} }`,
      `  - { name: dev, type: kubeconfig, path: ${kubeconfig}, context: missing }`,
      `  - { name: filed, type: token, server: 'https://10.0.0.2:6443', token: { file: ${join(dir, "no-token")} } }`,
      `  - { name: mangled, type: kubeconfig, path: ${malformed} }`,
      "hooks:",
      "  - { name: deploy, type: standard-webhooks, secrets: [{ env: HOOK_SECRET }], scopes: [{}] }",
      "store: { type: redis, url: 'redis://127.0.0.1:1', password: { env: REDIS_PASSWORD } }",
    ].join("\n"),
  );
});

describe("npm run check-config -- --config FILE", () => {
  it("names every missing env var, secret file, kubeconfig file and context at once, one line each, and exits 2", async () => {
    const run = runEntry("scripts/check-config.ts", ["--config", broken], {});
    expect(await run.exited).toBe(2);
    const lines = run.stderr().trim().split("\n");
    expect(lines).toHaveLength(7);
    for (const expected of [
      /hooks\[0\] \(deploy\): environment variable HOOK_SECRET is not set/,
      /store\.password: environment variable REDIS_PASSWORD is not set/,
      /clusters\[0\] \(prod\): environment variable PROD_TOKEN is not set/,
      /clusters\[1\] \(gone\): .*no-such-kubeconfig/,
      /clusters\[2\] \(dev\): context "missing" is not in the kubeconfig/,
      /clusters\[3\] \(filed\): file .*no-token cannot be read \(ENOENT\)/,
      /clusters\[4\] \(mangled\): bad indentation/,
    ]) {
      expect(lines.filter((l) => expected.test(l)), String(expected)).toHaveLength(1);
    }
    expect(run.stderr()).not.toContain("hunter2");
  });

  it("names every schema error at once", async () => {
    const schema = file("schema.yaml", "clusters:\n  - { name: Prod, type: token, server: 'ftp://x', token: { env: T } }\napiKeys: [{ id: short, hash: nope, scopes: [] }]\n");
    const run = runEntry("scripts/check-config.ts", ["--config", schema], {});
    expect(await run.exited).toBe(2);
    const lines = run.stderr().trim().split("\n");
    expect(lines.map((l) => /: ((?:clusters|apiKeys)\[0\]\.\w+):/.exec(l)?.[1])).toEqual(["clusters[0].name", "clusters[0].server", "apiKeys[0].id", "apiKeys[0].hash", "apiKeys[0].scopes"]);
  });

  it("passes a config whose secrets and files are all there, and says what it holds", async () => {
    const token = file("token", "a-token\n");
    const ok = file("ok.json", JSON.stringify({ clusters: [{ name: "prod", type: "token", server: "https://10.0.0.1:6443", token: { file: token } }] }));
    const run = runEntry("scripts/check-config.ts", ["--config", ok], {});
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("valid for Node (1 cluster, 0 API keys");
  });

  it("is the check a start runs: the gateway names the same problems and exits 2", async () => {
    const run = runEntry("src/node/main.ts", ["--config", broken], { PORT: "0" });
    expect(await run.exited).toBe(2);
    for (const name of ["HOOK_SECRET", "REDIS_PASSWORD", "PROD_TOKEN", "no-such-kubeconfig", 'context "missing"', "no-token", "bad indentation"]) expect(run.stderr()).toContain(name);
    expect(run.stderr()).not.toContain("hunter2");
  });
});

describe("npm run check-config -- --worker", () => {
  const wrangler = (config: string) =>
    file(
      `wrangler-${Math.random().toString(36).slice(2)}.toml`,
      `name = "x"\nmain = "src/index.ts"\ncompatibility_date = "2026-04-20"\n${config}\n[[durable_objects.bindings]]\nname = "GATEWAY_STATE"\nclass_name = "GatewayState"\n`,
    );

  it("refuses, before a deploy, a GATEWAY_CONFIG a Worker could not run, naming each problem", async () => {
    const path = wrangler(
      [
        "[vars.GATEWAY_CONFIG]",
        'clusters = [{ name = "kc", type = "kubeconfig" }, { name = "ca", type = "token", server = "https://k.example.com", token = { binding = "T" }, caData = "eA==" }, { name = "filed", type = "token", server = "https://k.example.com", token = { file = "/t" } }]',
        'store = { type = "redis", url = "redis://x:6379" }',
      ].join("\n"),
    );
    const run = runEntry("scripts/check-config.ts", ["--worker", "--wrangler", path], {});
    expect(await run.exited).toBe(2);
    const lines = run.stderr().trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines.join("\n")).toMatch(/store\.type: redis is not available on Workers/);
    expect(lines.join("\n")).toMatch(/clusters\[0\] \(kc\): type "kubeconfig" is not available on Workers/);
    expect(lines.join("\n")).toMatch(/clusters\[1\] \(ca\): a private CA cannot be trusted on Workers/);
    expect(lines.join("\n")).toMatch(/clusters\[2\] \(filed\): .*files cannot be read on Workers/);
  });

  it("refuses a schema error in [vars] GATEWAY_CONFIG", async () => {
    const run = runEntry("scripts/check-config.ts", ["--worker", "--wrangler", wrangler('[vars]\nGATEWAY_CONFIG = \'{"clusters":[]}\'')], {});
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/GATEWAY_CONFIG in .*: clusters: Too small/);
  });

  it("passes a valid one and lists the secrets to put", async () => {
    const path = wrangler(
      [
        "[vars.GATEWAY_CONFIG]",
        'clusters = [{ name = "prod", type = "token", server = "https://k8s.example.com", token = { binding = "PROD_TOKEN" } }]',
        'hooks = [{ name = "am", type = "alertmanager", token = { binding = "AM_TOKEN" }, scopes = [{}] }]',
      ].join("\n"),
    );
    const run = runEntry("scripts/check-config.ts", ["--worker", "--wrangler", path], {});
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("GATEWAY_CONFIG valid for Workers (1 cluster");
    expect(run.stdout()).toContain("npx wrangler secret put PROD_TOKEN");
    expect(run.stdout()).toContain("npx wrangler secret put AM_TOKEN");
  });

  it("passes the project's own wrangler.toml (the embedded sandbox)", async () => {
    const run = runEntry("scripts/check-config.ts", ["--worker"], {});
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain("GATEWAY_DEMO_KEY");
  });
});
