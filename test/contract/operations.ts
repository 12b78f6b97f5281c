import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationStore } from "../../src/service/ports.js";

/** What every operation store must do (memory, Redis, Durable Objects), with real time. */
export function operationStoreContract(name: string, make: () => Promise<OperationStore & { close?(): Promise<void> }>) {
  describe(`operation store contract: ${name}`, () => {
    let store: OperationStore & { close?(): Promise<void> };
    const run = Math.random().toString(36).slice(2, 8);
    const id = (key: string) => `${run}-${key}`;

    beforeAll(async () => {
      store = await make();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it("saves, loads and replaces an operation; an unknown one is null", async () => {
      expect(await store.loadOperation(id("none"))).toBeNull();
      await store.saveOperation({ id: id("a"), active: true, record: '{"step":1}' }, 60_000);
      expect(await store.loadOperation(id("a"))).toEqual({ id: id("a"), active: true, record: '{"step":1}' });
      await store.saveOperation({ id: id("a"), active: true, record: '{"step":2}' }, 60_000);
      expect((await store.loadOperation(id("a")))!.record).toBe('{"step":2}');
    });

    it("lists active operations until they are saved finished", async () => {
      await store.saveOperation({ id: id("b"), active: true, record: "{}" }, 60_000);
      await store.saveOperation({ id: id("c"), active: true, record: "{}" }, 60_000);
      expect((await store.activeOperations()).filter((x) => x.startsWith(run))).toEqual(expect.arrayContaining([id("b"), id("c")]));
      await store.saveOperation({ id: id("b"), active: false, record: "{}" }, 60_000);
      const active = await store.activeOperations();
      expect(active).toContain(id("c"));
      expect(active).not.toContain(id("b"));
    });

    it("keeps a cancel apart from saves: a runner's save never undoes it", async () => {
      expect(await store.requestCancel(id("nobody"), 60_000)).toBe(false);
      await store.saveOperation({ id: id("d"), active: true, record: "{}" }, 60_000);
      expect(await store.cancelRequested(id("d"))).toBe(false);
      expect(await store.requestCancel(id("d"), 60_000)).toBe(true);
      await store.saveOperation({ id: id("d"), active: true, record: '{"later":true}' }, 60_000);
      expect(await store.cancelRequested(id("d"))).toBe(true);
    });

    it("leases an operation to one holder at a time, renewable by it, free once released or lapsed", async () => {
      await store.saveOperation({ id: id("e"), active: true, record: "{}" }, 60_000);
      expect(await store.leaseOperation(id("e"), "replica-1", 60_000, Date.now())).toBe(true);
      expect(await store.leaseOperation(id("e"), "replica-2", 60_000, Date.now())).toBe(false);
      expect(await store.leaseOperation(id("e"), "replica-1", 60_000, Date.now())).toBe(true);
      await store.releaseOperation(id("e"), "replica-2"); // not its lease: nothing happens
      expect(await store.leaseOperation(id("e"), "replica-2", 60_000, Date.now())).toBe(false);
      await store.releaseOperation(id("e"), "replica-1");
      expect(await store.leaseOperation(id("e"), "replica-2", 300, Date.now())).toBe(true);
      await new Promise((r) => setTimeout(r, 400));
      expect(await store.leaseOperation(id("e"), "replica-1", 60_000, Date.now())).toBe(true);
    });

    it("never gives one lease to two of many racing holders", async () => {
      await store.saveOperation({ id: id("f"), active: true, record: "{}" }, 60_000);
      const won = await Promise.all(Array.from({ length: 20 }, (_, i) => store.leaseOperation(id("f"), `r${i}`, 60_000, Date.now())));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it("forgets an operation after its time to live", async () => {
      await store.saveOperation({ id: id("g"), active: true, record: "{}" }, 300);
      await new Promise((r) => setTimeout(r, 400));
      expect(await store.loadOperation(id("g"))).toBeNull();
      expect(await store.activeOperations()).not.toContain(id("g"));
    });
  });
}
