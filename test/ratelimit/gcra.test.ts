import { describe, expect, it } from "vitest";
import { gcra, limitOf } from "../../src/ratelimit/gcra.js";
import { MemoryStore } from "../../src/service/memory-store.js";

describe("GCRA", () => {
  it("admits the burst at once, then one request per interval, with the exact wait", () => {
    const limit = limitOf(60, 60, 3); // one a second, three at once
    let tat: number | null = null;
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const d = gcra(tat, 0, limit);
      if (d.allowed) tat = d.tat;
      decisions.push(d);
    }
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]!.retryAfterMs).toBe(1000);
    expect(gcra(tat, 999, limit).allowed).toBe(false);
    expect(gcra(tat, 1000, limit).allowed).toBe(true);
  });

  it("refills fully after a quiet period", () => {
    const limit = limitOf(10, 10, 5);
    let tat: number | null = null;
    for (let i = 0; i < 5; i++) tat = gcra(tat, 0, limit).tat;
    expect(gcra(tat, 5000, limit).remaining).toBe(4);
  });

  it("the memory store stays bounded", async () => {
    const store = new MemoryStore(1000);
    for (let i = 0; i < 5000; i++) await store.take([{ key: `k${i}`, limit: limitOf(1, 1) }], i);
    expect(store.size).toBeLessThanOrEqual(1001);
  });
});
