import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { limitOf } from "../../src/ratelimit/gcra.js";
import type { StateStore } from "../../src/service/ports.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stuck = { afterBlocks: 3, afterSeconds: 0, forgetAfterSeconds: 60 };
const response = { status: 200, contentType: "application/json", body: '{"outcome":"evicted"}' };

/** What every state store must do, with real time (Redis and Durable Objects keep their own clocks). */
export function storeContract(name: string, make: () => Promise<StateStore>) {
  describe(`state store contract: ${name}`, () => {
    let store: StateStore;
    const run = Math.random().toString(36).slice(2, 8);
    const k = (key: string) => `${run}:${key}`;

    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it("admits the burst, then denies with the wait until the next token", async () => {
      // One a minute, three at once: slow enough that a loaded machine's pauses between the takes refill nothing.
      const limit = limitOf(60, 3600, 3);
      const results = [];
      for (let i = 0; i < 4; i++) results.push((await store.take([{ key: k("burst"), limit }], Date.now()))[0]!);
      expect(results.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(results.slice(0, 3).map((d) => d.remaining)).toEqual([2, 1, 0]);
      expect(results[3]!.retryAfterMs).toBeGreaterThan(30_000);
      expect(results[3]!.retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it("takes several limits all or nothing", async () => {
      const wide = { key: k("wide"), limit: limitOf(5, 3600) };
      const narrow = { key: k("narrow"), limit: limitOf(1, 3600) };
      expect((await store.take([wide, narrow], Date.now())).map((d) => d.allowed)).toEqual([true, true]);
      const second = await store.take([wide, narrow], Date.now());
      expect(second[1]!.allowed).toBe(false);
      // the wide limit was not charged for the denied request: 4 of its 5 are left
      const alone = [];
      for (let i = 0; i < 5; i++) alone.push((await store.take([wide], Date.now()))[0]!.allowed);
      expect(alone).toEqual([true, true, true, true, false]);
    });

    it("gives a request back on refund", async () => {
      const charge = { key: k("refund"), limit: limitOf(1, 3600) };
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(true);
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(false);
      await store.refund([charge], Date.now());
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(true);
    });

    it("never over-admits under concurrency", async () => {
      const charge = { key: k("race"), limit: limitOf(10, 3600) };
      const decisions = await Promise.all(Array.from({ length: 50 }, () => store.take([charge], Date.now())));
      expect(decisions.filter((d) => d[0]!.allowed)).toHaveLength(10);
    });

    it("forgets a limit once its bucket is full again", async () => {
      const charge = { key: k("expiry"), limit: limitOf(1, 1) };
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(true);
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(false);
      await sleep(1100);
      expect((await store.take([charge], Date.now()))[0]!.allowed).toBe(true);
    });

    it("idempotency: claim, in flight, replay, mismatch", async () => {
      const key = k("idem");
      expect(await store.begin(key, "fp1", Date.now(), 10_000)).toEqual({ state: "started" });
      expect(await store.begin(key, "fp1", Date.now(), 10_000)).toEqual({ state: "in-flight" });
      expect(await store.begin(key, "fp2", Date.now(), 10_000)).toEqual({ state: "mismatch" });
      await store.complete(key, "fp1", response, Date.now(), 60_000);
      expect(await store.begin(key, "fp1", Date.now(), 10_000)).toEqual({ state: "replay", response });
      expect(await store.begin(key, "fp2", Date.now(), 10_000)).toEqual({ state: "mismatch" });
    });

    it("idempotency: a released claim may be taken again, and only its owner can complete it", async () => {
      const key = k("release");
      await store.begin(key, "fp1", Date.now(), 10_000);
      await store.complete(key, "other", response, Date.now(), 60_000);
      expect(await store.begin(key, "fp1", Date.now(), 10_000)).toEqual({ state: "in-flight" });
      await store.complete(key, "fp1", null, Date.now(), 60_000);
      expect(await store.begin(key, "fp1", Date.now(), 10_000)).toEqual({ state: "started" });
    });

    it("idempotency: claims and answers expire", async () => {
      await store.begin(k("lapse"), "fp", Date.now(), 200);
      await store.begin(k("ttl"), "fp", Date.now(), 10_000);
      await store.complete(k("ttl"), "fp", response, Date.now(), 200);
      await sleep(350);
      expect(await store.begin(k("lapse"), "fp", Date.now(), 10_000)).toEqual({ state: "started" });
      expect(await store.begin(k("ttl"), "fp", Date.now(), 10_000)).toEqual({ state: "started" });
    });

    it("block history: counts, reads, clears, and starts over after a quiet spell", async () => {
      const key = k("pod");
      const t0 = Date.now();
      await store.record(key, t0, stuck);
      await store.record(key, t0 + 1000, stuck);
      expect(await store.record(key, t0 + 2000, stuck)).toEqual({ count: 3, since: t0, last: t0 + 2000 });
      expect(await store.read(key, t0 + 2000)).toEqual({ count: 3, since: t0, last: t0 + 2000 });
      expect(await store.record(key, t0 + 2000 + 61_000, stuck)).toEqual({ count: 1, since: t0 + 63_000, last: t0 + 63_000 });
      await store.clear(key);
      expect(await store.read(key, t0 + 70_000)).toBeNull();
    });
  });
}
