import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ApiKeyVerifier } from "../../src/auth/api-keys.js";
import { parseConfig } from "../../src/config/schema.js";
import { runEntry, waitFor } from "../support/spawn.js";

describe("npm run keygen", () => {
  it("prints a key and a config entry that accepts it, with the scope asked for", async () => {
    const run = runEntry("scripts/keygen.ts", ["--clusters", "prod-*", "--namespaces", "web", "--actions", "dry-run"], {});
    expect(await run.exited).toBe(0);
    const [key, ...rest] = run.stdout().trim().split("\n");
    const [entry] = yaml.load(rest.join("\n")) as Record<string, unknown>[];
    expect(entry!.scopes).toEqual([{ clusters: ["prod-*"], namespaces: ["web"], actions: ["dry-run"] }]);
    const config = parseConfig({ clusters: [{ name: "x", type: "sandbox" }], apiKeys: [entry] });
    expect(await new ApiKeyVerifier(config.apiKeys, { now: () => Date.now() }).verify(`Bearer ${key}`)).toMatchObject({ ok: true, caller: { id: entry!.id } });
    expect(entry).not.toHaveProperty("expiresAt");
  });

  it("sets expiresAt from --expires, as a duration or a date, and the key is refused from then on", async () => {
    const run = runEntry("scripts/keygen.ts", ["--expires", "90d"], {});
    expect(await run.exited).toBe(0);
    const [key, ...rest] = run.stdout().trim().split("\n");
    const [entry] = yaml.load(rest.join("\n")) as { id: string; expiresAt: string }[];
    const days = (Date.parse(entry!.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    const config = parseConfig({ clusters: [{ name: "x", type: "sandbox" }], apiKeys: [entry] });
    const at = (ms: number) => new ApiKeyVerifier(config.apiKeys, { now: () => ms }).verify(`Bearer ${key}`);
    expect(await at(Date.parse(entry!.expiresAt) - 1)).toMatchObject({ ok: true });
    expect(await at(Date.parse(entry!.expiresAt))).toEqual({ ok: false, reason: "expired", expiresAt: entry!.expiresAt });

    const dated = runEntry("scripts/keygen.ts", ["--expires", "2999-01-02"], {});
    expect(await dated.exited).toBe(0);
    expect(dated.stdout()).toMatch(/expiresAt: ["']?2999-01-02T00:00:00Z/);
  });

  it.each([
    [["--cluster", "prod"], /Unknown option '--cluster'/],
    [["--namespace=web"], /Unknown option '--namespace'/],
    [["prod"], /positional/],
    [["--expires", "90 days"], /--expires/],
    [["--expires", "2001-01-01"], /already past/],
  ])("refuses %j and mints nothing", async (args, message) => {
    const run = runEntry("scripts/keygen.ts", args, {});
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toMatch(message);
    expect(run.stdout()).toBe("");
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
