import { beforeAll, describe, expect, it } from "vitest";
import type { ClusterTransport } from "../../src/service/ports.js";
import { evictionRequest } from "../../src/service/transports.js";
import { toKubernetesEviction } from "../../src/eviction/request.js";
import type { SandboxClient } from "../support/sandbox-client.js";

export interface TransportContext {
  /** A transport to the sandbox. */
  transport: ClusterTransport;
  /** A transport to a port where nothing listens. */
  refused: ClusterTransport;
  sandbox: SandboxClient;
}

/** What every ClusterTransport must do: hand back the API server's answer as it was, and never throw. */
export function transportContract(name: string, context: () => Promise<TransportContext>) {
  describe(`ClusterTransport contract: ${name}`, () => {
    const ns = `transport-${name.replace(/[^a-z0-9]/g, "")}-${Math.floor(Math.random() * 1e6)}`;
    let ctx: TransportContext;
    const send = (pod: string, options: { dryRun?: boolean; timeoutMs?: number; transport?: ClusterTransport } = {}) =>
      (options.transport ?? ctx.transport).send(
        evictionRequest(toKubernetesEviction({ cluster: "c", namespace: ns, pod }, { ...(options.dryRun ? { dryRun: true } : {}) })),
        AbortSignal.timeout(options.timeoutMs ?? 5000),
      );

    beforeAll(async () => {
      ctx = await context();
      await ctx.sandbox.createNamespace(ns);
      await ctx.sandbox.createPod(ns, "free");
      await ctx.sandbox.createPod(ns, "guarded", { labels: { app: "g" } });
      await ctx.sandbox.createPdb(ns, "g", { minAvailable: 1, selector: { matchLabels: { app: "g" } } }, { "sandbox.eviction-gateway.dev/controller": "manual" });
      await ctx.sandbox.createPod(ns, "throttle", { annotations: { "sandbox.eviction-gateway.dev/fault": "throttle" } });
      await ctx.sandbox.createPod(ns, "hang", { annotations: { "sandbox.eviction-gateway.dev/fault": "hang" } });
    });

    it("returns a 201 Status for an eviction (and the dry run before it)", async () => {
      const dry = await send("free", { dryRun: true });
      expect(dry).toMatchObject({ kind: "reply", status: 201 });
      const reply = await send("free");
      expect(reply).toMatchObject({ kind: "reply", status: 201 });
      if (reply.kind === "reply") expect(JSON.parse(reply.body)).toMatchObject({ kind: "Status", status: "Success", code: 201 });
    });

    it("reads as well as writes: a GET brings the object back as JSON", async () => {
      const reply = await ctx.transport.send({ method: "GET", path: `/api/v1/namespaces/${ns}/pods/guarded` }, AbortSignal.timeout(5000));
      expect(reply).toMatchObject({ kind: "reply", status: 200 });
      if (reply.kind === "reply") expect(JSON.parse(reply.body)).toMatchObject({ kind: "Pod", metadata: { name: "guarded", namespace: ns } });
    });

    it("sends a patch with its own content type", async () => {
      const body = JSON.stringify({ metadata: { labels: { patched: "yes" } } });
      const reply = await ctx.transport.send({ method: "PATCH", path: `/api/v1/namespaces/${ns}/pods/guarded`, body, contentType: "application/merge-patch+json" }, AbortSignal.timeout(5000));
      expect(reply).toMatchObject({ kind: "reply", status: 200 });
      if (reply.kind === "reply") expect(JSON.parse(reply.body)).toMatchObject({ metadata: { labels: { patched: "yes" } } });
    });

    it("returns a 429 with its Retry-After header and Status body", async () => {
      const reply = await send("guarded");
      expect(reply).toMatchObject({ kind: "reply", status: 429, retryAfter: "10" });
      if (reply.kind === "reply") {
        expect(reply.contentType).toMatch(/json/);
        expect(JSON.parse(reply.body).details.causes[0].reason).toBe("DisruptionBudget");
      }
    });

    it("returns a 404 as an answer, not an error", async () => {
      const reply = await send("nobody");
      expect(reply).toMatchObject({ kind: "reply", status: 404 });
    });

    it("returns a text/plain 429 untouched", async () => {
      const reply = await send("throttle");
      expect(reply).toMatchObject({ kind: "reply", status: 429, retryAfter: "1" });
      if (reply.kind === "reply") {
        expect(reply.contentType).toMatch(/^text\/plain/);
        expect(reply.body).toBe("Too many requests, please try again later.\n");
      }
    });

    it("stops when its signal is aborted and reports a timeout", async () => {
      const started = Date.now();
      const reply = await send("hang", { timeoutMs: 300 });
      expect(reply).toMatchObject({ kind: "failure", failure: "timeout" });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("reports a refused connection as a failure", async () => {
      const reply = await send("free", { transport: ctx.refused });
      expect(reply.kind).toBe("failure");
      if (reply.kind === "failure") expect(["refused", "network"]).toContain(reply.failure);
    });
  });
}
