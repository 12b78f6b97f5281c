import { describe, expect, it } from "vitest";
import { StateGuard, StoreUnavailable } from "../../src/service/state-guard.js";

const failing = () => Promise.reject(new Error("connection lost"));

function guard(failMode: "closed" | "open") {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const g = new StateGuard({ kind: "redis" }, failMode, { now: () => now }, (line) => lines.push(line as Record<string, unknown>));
  return { g, lines, advance: (ms: number) => (now += ms) };
}

describe("StateGuard", () => {
  it("fails closed: a failing call before the cluster is asked throws StoreUnavailable", async () => {
    const { g } = guard("closed");
    await expect(g.run("take", failing, [])).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it("fails open: the fallback is used", async () => {
    const { g } = guard("open");
    expect(await g.run("take", failing, ["fallback"])).toEqual(["fallback"]);
  });

  it("calls after the cluster answered only log, even when closed", async () => {
    const { g, lines } = guard("closed");
    expect(await g.soft("refund", failing, "kept")).toBe("kept");
    expect(lines).toMatchObject([{ level: "warn", op: "refund", failMode: "closed" }]);
  });

  it("logs one failing operation at most every 5 s, then its recovery once", async () => {
    const { g, lines, advance } = guard("open");
    await g.run("take", failing, null);
    await g.run("take", failing, null);
    advance(4_999);
    await g.run("take", failing, null);
    expect(lines).toHaveLength(1);
    advance(1);
    await g.run("take", failing, null);
    expect(lines).toHaveLength(2);
    await g.run("take", async () => "ok", null);
    await g.run("take", async () => "ok", null);
    expect(lines.at(-1)).toMatchObject({ level: "info", msg: "state store recovered" });
    expect(lines).toHaveLength(3);
  });
});
