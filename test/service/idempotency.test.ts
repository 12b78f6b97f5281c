import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { gatewayResult } from "../../src/eviction/build.js";
import type { ServiceDeps } from "../../src/service/deps.js";
import { claimHoldMs, keepAnswer, once, parseIdempotencyKey, replayAnswer } from "../../src/service/idempotency.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import type { ClusterRegistry, RegisteredCluster } from "../../src/service/ports.js";
import { StateGuard } from "../../src/service/state-guard.js";

const TARGET = { cluster: "c", namespace: "n", pod: "p" };

function deps(clusterTimeouts: number[] = []): ServiceDeps & { advance(ms: number): void } {
  let now = 1_000_000;
  const clock = { now: () => now };
  const store = new MemoryStore();
  const config = parseConfig({ clusters: [{ name: "c", type: "sandbox" }], eviction: { upstreamTimeoutMs: 10_000, batchConcurrencyPerCluster: 4 } });
  const clusters: ClusterRegistry = {
    get: () => undefined,
    list: () => clusterTimeouts.map((timeoutMs, i) => ({ name: `c${i}`, type: "token", server: null, timeoutMs }) as RegisteredCluster),
    close: async () => {},
  };
  return {
    config,
    clusters,
    limits: store,
    idempotency: store,
    history: store,
    guard: new StateGuard(store, "closed", clock, () => {}),
    metrics: { decision() {}, upstream() {}, denied() {} },
    clock,
    random: () => 0.5,
    advance: (ms) => (now += ms),
  };
}

const evicted = () => ({ result: gatewayResult("r1", TARGET, "evicted", { message: "Evicted." }), status: 200 });
const blocked = () => ({ result: gatewayResult("r1", TARGET, "blocked", { message: "Blocked.", retryAfterSeconds: 5 }), status: 429 });
const claim = { key: "k", fingerprint: "f", ttlMs: 60_000 };

describe("once: the one idempotency helper", () => {
  it("runs the work once, then replays its final answer", async () => {
    const d = deps();
    let runs = 0;
    const work = async () => (runs++, evicted());
    expect((await once(d, claim, 10_000, work, keepAnswer)).state).toBe("ran");
    const again = await once(d, claim, 10_000, work, keepAnswer);
    expect(again.state).toBe("replay");
    expect(runs).toBe(1);
    if (again.state === "replay") expect(replayAnswer(again.stored)).toMatchObject({ replayed: true, status: 200, result: { outcome: "evicted" } });
  });

  it("answers in-flight while the first runs, and mismatch for another request under the same key", async () => {
    const d = deps();
    let release!: () => void;
    const first = once(d, claim, 10_000, () => new Promise<ReturnType<typeof evicted>>((r) => (release = () => r(evicted()))), keepAnswer);
    await new Promise((r) => setTimeout(r, 0));
    expect((await once(d, claim, 10_000, async () => evicted(), keepAnswer)).state).toBe("in-flight");
    expect((await once(d, { ...claim, fingerprint: "other" }, 10_000, async () => evicted(), keepAnswer)).state).toBe("mismatch");
    release();
    expect((await first).state).toBe("ran");
  });

  it("releases the key after a retryable answer, so the retry runs again", async () => {
    const d = deps();
    await once(d, claim, 10_000, async () => blocked(), keepAnswer);
    expect((await once(d, claim, 10_000, async () => evicted(), keepAnswer)).state).toBe("ran");
  });

  it("keeps the claim when the work throws, until it lapses: what it did is unknown", async () => {
    const d = deps();
    await expect(once(d, claim, 10_000, async () => Promise.reject(new Error("boom")), keepAnswer)).rejects.toThrow("boom");
    expect((await once(d, claim, 10_000, async () => evicted(), keepAnswer)).state).toBe("in-flight");
    d.advance(10_001);
    expect((await once(d, claim, 10_000, async () => evicted(), keepAnswer)).state).toBe("ran");
  });
});

describe("the in-flight rule", () => {
  it("holds a claim longer than the longest cluster timeout", () => {
    expect(claimHoldMs(deps())).toBeGreaterThan(10_000);
    expect(claimHoldMs(deps([60_000]))).toBeGreaterThan(60_000);
  });

  it("grows with a batch's rounds per cluster", () => {
    const d = deps([30_000]);
    expect(claimHoldMs(d, 100)).toBeGreaterThan(Math.ceil(100 / 4) * 30_000);
    expect(claimHoldMs(d, 4)).toBe(claimHoldMs(d, 1));
  });
});

describe("Idempotency-Key", () => {
  it("takes an sf-string or a bare token, and nothing else", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5"')).toBe("8e03978e-40d5");
    expect(parseIdempotencyKey("abc-123")).toBe("abc-123");
    expect(parseIdempotencyKey('"a"b"')).toBeNull();
    expect(parseIdempotencyKey("x".repeat(256))).toBeNull();
  });
});
