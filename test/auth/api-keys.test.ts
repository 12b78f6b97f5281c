import { describe, expect, it } from "vitest";
import { ApiKeyVerifier, generateApiKey } from "../../src/auth/api-keys.js";
import { allows, couldName } from "../../src/auth/scope.js";
import { globMatch } from "../../src/config/glob.js";

describe("API keys", () => {
  it("accepts the key whose hash is configured, and nothing else", async () => {
    const { key, entry } = await generateApiKey([{ clusters: ["*"], namespaces: ["*"], actions: ["evict"] }]);
    expect(entry.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(entry)).not.toContain(key.slice(14));
    const verifier = new ApiKeyVerifier([entry], { now: () => Date.now() });
    expect(await verifier.verify(`Bearer ${key}`)).toMatchObject({ ok: true, caller: { id: entry.id } });
    expect(await verifier.verify(undefined)).toEqual({ ok: false, reason: "missing" });
    expect(await verifier.verify(`Basic ${key}`)).toEqual({ ok: false, reason: "malformed" });
    expect(await verifier.verify(`Bearer ${key.slice(0, -1)}X`)).toEqual({ ok: false, reason: key.endsWith("X") ? "malformed" : "unknown" });
    const other = await generateApiKey([]);
    expect(await verifier.verify(`Bearer ${other.key}`)).toEqual({ ok: false, reason: "unknown" });
  });
});

describe("scopes", () => {
  const scopes = [{ clusters: ["prod-*"], namespaces: ["web", "team-?"], actions: ["evict" as const] }, { clusters: ["staging"], namespaces: ["*"], actions: ["dry-run" as const] }];

  it("match clusters, namespaces and actions, with evict implying dry-run", () => {
    expect(allows(scopes, "prod-eu", "web", "evict")).toBe(true);
    expect(allows(scopes, "prod-eu", "web", "dry-run")).toBe(true);
    expect(allows(scopes, "prod-eu", "team-a", "evict")).toBe(true);
    expect(allows(scopes, "prod-eu", "team-ab", "evict")).toBe(false);
    expect(allows(scopes, "staging", "web", "evict")).toBe(false);
    expect(allows(scopes, "staging", "web", "dry-run")).toBe(true);
    expect(couldName(scopes, "prod-x")).toBe(true);
    expect(couldName(scopes, "dev")).toBe(false);
  });

  it("globs: * and ? only", () => {
    expect(globMatch("*", "")).toBe(true);
    expect(globMatch("a*b*c", "axxbyyc")).toBe(true);
    expect(globMatch("a*b", "ab.")).toBe(false);
    expect(globMatch("a.b", "axb")).toBe(false);
  });
});
