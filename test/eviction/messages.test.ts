import { describe, expect, it } from "vitest";
import { describe as message } from "../../src/eviction/message.js";
import { Outcome } from "../../src/eviction/outcome.js";

const at = { cluster: "prod", namespace: "web", pod: "web-1", retryAfterSeconds: null };

describe("messages: one human line per answer", () => {
  it("says something of its own for every outcome, on one line", () => {
    for (const outcome of Outcome.options) {
      const line = message({ ...at, outcome, retryAfterSeconds: 5 });
      expect(line, outcome).not.toMatch(/\n/);
      expect(line.length, outcome).toBeGreaterThan(10);
    }
  });

  it("names the budget and its counts when blocked, and the wait", () => {
    const line = message({ ...at, outcome: "blocked", retryAfterSeconds: 7, disruptionBudget: { name: "web", desiredHealthy: 2, currentHealthy: 2 } });
    expect(line).toBe("Blocked: PodDisruptionBudget web needs 2 healthy pods and has 2, so web/web-1 on prod was not evicted; retry in 7s.");
  });

  it("says what to do once a pod is stuck", () => {
    const line = message({ ...at, outcome: "blocked", retryAfterSeconds: 60, attempts: { count: 6, since: "2026-11-23T00:00:00.000Z", stuck: true } });
    expect(line).toMatch(/is stuck: blocked 6 times since 2026-11-23T00:00:00.000Z/);
    expect(line).toMatch(/Pause the automation, check why the budget's pods are not Ready, or delete the pod directly/);
  });

  it("passes on what the cluster said, on one line and shortened", () => {
    const said = `forbidden:\n${"x".repeat(1000)}`;
    const line = message({ ...at, outcome: "denied", upstream: { status: 403, reason: "Forbidden", message: said, causes: [] } });
    expect(line).not.toMatch(/\n/);
    expect(line.length).toBeLessThan(400);
  });
});
