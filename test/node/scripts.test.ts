import { describe, expect, it } from "vitest";
import { ApiKeyVerifier } from "../../src/auth/api-keys.js";
import { parseConfig } from "../../src/config/schema.js";
import { runEntry, waitFor } from "../support/spawn.js";

describe("npm run keygen", () => {
  it("prints a key and a config entry that accepts it, with the scope asked for", async () => {
    const run = runEntry("scripts/keygen.ts", ["--clusters", "prod-*", "--namespaces", "web", "--actions", "dry-run"], {});
    expect(await run.exited).toBe(0);
    const [key, ...rest] = run.stdout().trim().split("\n");
    const entry = JSON.parse(rest.join("\n"));
    expect(entry.scopes).toEqual([{ clusters: ["prod-*"], namespaces: ["web"], actions: ["dry-run"] }]);
    const config = parseConfig({ clusters: [{ name: "x", type: "sandbox" }], apiKeys: [entry] });
    expect(await new ApiKeyVerifier(config.apiKeys).verify(`Bearer ${key}`)).toMatchObject({ ok: true, caller: { id: entry.id } });
  });

  it("refuses an unknown action", async () => {
    const run = runEntry("scripts/keygen.ts", ["--actions", "delete"], {});
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(/actions/);
  });
});

describe("npm run sandbox", () => {
  it("serves the seeded sandbox alone over HTTPS", async () => {
    const run = runEntry("src/sandbox/main.ts", [], { SANDBOX_PORT: "0", SANDBOX_TOKEN: "t0ken" });
    try {
      const url = await waitFor("the sandbox to listen", () => /listening on (https:\S+)/.exec(run.stdout())?.[1]);
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(run.stdout()).toContain("kubeconfig");
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
  });
});
