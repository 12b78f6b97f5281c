import { describe, expect, it } from "vitest";
import { gatewayResult } from "../../src/eviction/build.js";
import { OUTCOMES, Outcome } from "../../src/eviction/outcome.js";
import { evictionProblem, problemType } from "../../src/eviction/problem.js";
import { chooseRetryAfter } from "../../src/eviction/retry.js";

const backoff = { initialSeconds: 5, factor: 2, maxSeconds: 120, jitter: 0 };
const target = { cluster: "c", namespace: "n", pod: "p" };

describe("the outcome table", () => {
  it("has a record per outcome, and a retry default exactly for the retryable ones", () => {
    expect(Object.keys(OUTCOMES).sort()).toEqual([...Outcome.options].sort());
    for (const [outcome, record] of Object.entries(OUTCOMES)) expect(record.defaultRetrySeconds !== null, outcome).toBe(record.retryable);
  });

  it("gives one problem type one title", () => {
    const titles = new Map<string, string>();
    for (const outcome of Outcome.options) {
      const problem = evictionProblem(gatewayResult("r", target, outcome), OUTCOMES[outcome].httpStatus);
      expect(titles.get(problem.type) ?? problem.title).toBe(problem.title);
      titles.set(problem.type, problem.title);
      expect(problem.type).toBe(problemType(outcome));
    }
  });
});

describe("the retry hint", () => {
  it("is null for a final outcome, whatever the hints", () => {
    expect(chooseRetryAfter("evicted", { upstream: 10 })).toBeNull();
    expect(chooseRetryAfter("not-found", {})).toBeNull();
  });

  it("prefers the API server's own hint", () => {
    expect(chooseRetryAfter("blocked", { upstream: 10, consecutiveBlocks: 4, backoff, random: () => 0.5 })).toBe(10);
    expect(chooseRetryAfter("throttled", { upstream: 3 })).toBe(3);
  });

  it("backs off per consecutive block, capped, when the budget gives none", () => {
    const hint = (n: number) => chooseRetryAfter("blocked", { consecutiveBlocks: n, backoff, random: () => 0.5 });
    expect([1, 2, 3, 10].map(hint)).toEqual([5, 10, 20, 120]);
  });

  it("falls back to the outcome's default", () => {
    expect(chooseRetryAfter("unavailable", {})).toBe(OUTCOMES.unavailable.defaultRetrySeconds);
  });
});
