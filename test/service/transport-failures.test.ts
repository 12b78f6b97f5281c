import { describe, expect, it } from "vitest";
import { failureFrom } from "../../src/service/transports.js";

// What a transport's thrown error becomes: a short, secret-free line the caller can act on.
const live = new AbortController().signal;

describe("failureFrom", () => {
  it("names a TLS failure by its code", () => {
    expect(failureFrom(Object.assign(new Error("x"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }), live)).toMatchObject({ failure: "tls", detail: "TLS failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE)" });
  });

  it("turns workerd's opaque internal error into a clear unavailable reason, never the reference", () => {
    const reply = failureFrom(new TypeError("internal error; reference = 6k2c1m8q3v0a9b"), live);
    expect(reply).toMatchObject({ kind: "failure", failure: "network" });
    expect(reply.detail).toMatch(/certificate the Worker does not trust/);
    expect(reply.detail).not.toMatch(/reference/);
  });

  it("keeps only a code from anything else: a library's message may carry a token", () => {
    const reply = failureFrom(Object.assign(new Error("exec plugin said: token=abc.def.ghi"), { code: "EPIPE" }), live);
    expect(reply).toEqual({ kind: "failure", failure: "network", detail: "EPIPE" });
  });
});
