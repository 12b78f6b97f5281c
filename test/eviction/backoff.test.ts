import { describe, expect, it } from "vitest";
import { isStuck, recordBlock } from "../../src/eviction/attempts.js";
import { backoffSeconds } from "../../src/eviction/backoff.js";

const policy = { initialSeconds: 5, factor: 2, maxSeconds: 120, jitter: 0.2 };

describe("per-pod backoff", () => {
  it("starts near 5 s, doubles with each block, and is capped", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6, 7, 10].map((n) => backoffSeconds(n, policy, mid))).toEqual([5, 10, 20, 40, 80, 120, 120, 120]);
  });

  it("is jittered within ±20% and never above the cap", () => {
    expect(backoffSeconds(1, policy, () => 0)).toBe(4);
    expect(backoffSeconds(1, policy, () => 0.999)).toBe(6);
    expect(backoffSeconds(9, policy, () => 0.999)).toBe(120);
  });
});

describe("block history", () => {
  const stuck = { afterBlocks: 3, afterSeconds: 60, forgetAfterSeconds: 600 };

  it("counts consecutive blocks, and calls a pod stuck only after enough of them over a long enough span", () => {
    let h = recordBlock(null, 0, stuck);
    h = recordBlock(h, 10_000, stuck);
    h = recordBlock(h, 20_000, stuck);
    expect(h).toEqual({ count: 3, since: 0, last: 20_000 });
    expect(isStuck(h, 20_000, stuck)).toBe(false);
    h = recordBlock(h, 70_000, stuck);
    expect(isStuck(h, 70_000, stuck)).toBe(true);
  });

  it("starts a new run after a long quiet spell", () => {
    const h = recordBlock({ count: 9, since: 0, last: 0 }, 700_000, stuck);
    expect(h).toEqual({ count: 1, since: 700_000, last: 700_000 });
  });
});
