import { createPublicKey } from "node:crypto";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type GatewayConfigInput } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { TEST_KEYS, testKeyEntries } from "../support/keys.js";
import { makeKey, sign, startIssuer, type TestIssuer, type TestKey } from "../support/oidc-issuer.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";
import { waitFor } from "../support/spawn.js";

// OIDC callers through HTTP: tokens signed at test time by keys made at test time, published by
// local JWKS endpoints, and every way a token can be wrong.
const NS = "oidc";
const AUD = "eviction-gateway-test";
let sandbox: TestSandbox;
let gateway: NodeGateway;
let github: TestIssuer;
let gitlab: TestIssuer;
let rotating: TestIssuer;
let ghKey: TestKey;
let glKey: TestKey;
let rotKey1: TestKey;
let rotKey2: TestKey;
const audit: AuditEntry[] = [];
const MAIN = { sub: "repo:acme/deploy:ref:refs/heads/main", repository: "acme/deploy", ref: "refs/heads/main" };

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace(NS);
  for (const pod of ["p1", "p2", "p3", "p4", "p5", "esc"]) await s.createPod(NS, pod);
  [ghKey, glKey, rotKey1, rotKey2] = await Promise.all([makeKey("RS256"), makeKey("ES256"), makeKey("RS256"), makeKey("ES256")]);
  github = await startIssuer([ghKey]);
  gitlab = await startIssuer([glKey]);
  rotating = await startIssuer([rotKey1]);
  const evictIn = (namespaces: string[]) => [{ clusters: ["sandbox", "limited"], namespaces, actions: ["evict" as const] }];
  const config: GatewayConfigInput = {
    clusters: ["sandbox", "limited"].map((name) => ({ name, type: "token" as const, server: sandbox.http.url, token: { env: "T" }, impersonate: { userPrefix: "egw:" } })),
    apiKeys: await testKeyEntries(),
    rateLimits: [{ name: "tight", key: "api-key", clusters: ["limited"], requests: 1, perSeconds: 3600 }],
    oidc: {
      issuers: [
        {
          name: "github",
          issuer: github.url,
          audience: AUD,
          jwksUri: github.jwksUri,
          callerId: "{repository}@{ref}",
          rules: [
            { match: { repository: "acme/deploy", ref: "refs/heads/main" }, scopes: evictIn([NS]) },
            { match: { repository: "acme/*", ref: "refs/tags/v*" }, scopes: [{ clusters: ["sandbox"], namespaces: [NS], actions: ["dry-run"] }] },
            { match: { repository: "acme/evil*" }, scopes: evictIn([NS]) },
          ],
        },
        { name: "gitlab", issuer: gitlab.url, audience: AUD, jwksUri: gitlab.jwksUri, algorithms: ["ES256"], callerId: "{project_path}", rules: [{ match: { project_path: "acme/*" }, scopes: evictIn([NS]) }] },
        { name: "rotating", issuer: rotating.url, audience: AUD, jwksUri: rotating.jwksUri, algorithms: ["RS256", "ES256"], jwksCooldownSeconds: 1, rules: [{ match: { sub: "*" }, scopes: evictIn([NS]) }] },
        { name: "down", issuer: "http://127.0.0.1:1", audience: AUD, jwksUri: "http://127.0.0.1:1/jwks", rules: [{ match: { sub: "*" }, scopes: evictIn([NS]) }] },
      ],
    },
  };
  gateway = await startNodeGateway({ config: parseConfig(config), port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) } });
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all([github?.close(), gitlab?.close(), rotating?.close(), sandbox?.close()]);
});

async function evict(token: string, pod = "nobody", body: object = {}, cluster = "sandbox") {
  const r = await fetch(`${gateway.url}/v1/clusters/${cluster}/namespaces/${NS}/pods/${pod}/eviction`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as { outcome: string; message: string; requestId: string }, headers: r.headers };
}
const sent = (pod: string) => sandbox.cluster.requestLog.filter((r) => r.method === "POST" && r.path === `/api/v1/namespaces/${NS}/pods/${pod}/eviction`);
const gh = (claims: object = {}) => sign(ghKey, { iss: github.url, aud: AUD, ...MAIN, ...claims });
const now = () => Math.floor(Date.now() / 1000);
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("a valid token", () => {
  it("evicts as its caller id, which reaches the audit line and Impersonate-User", async () => {
    const answer = await evict(await gh(), "p1");
    expect(answer).toMatchObject({ status: 200, body: { outcome: "evicted" } });
    expect(audit.find((e) => e.requestId === answer.body.requestId)).toMatchObject({ caller: "oidc:github:acme/deploy@refs/heads/main" });
    expect(sent("p1").at(-1)).toMatchObject({ user: "egw:oidc:github:acme/deploy@refs/heads/main" });
  });

  it("leaves API keys working beside it", async () => {
    expect((await evict(TEST_KEYS.full)).status).toBe(404);
  });

  it("gets only what its rules grant: a glob rule's dry-run, and 403 (naming the caller) when no rule matches", async () => {
    const tag = await gh({ repository: "acme/web", ref: "refs/tags/v1.2.0" });
    expect(await evict(tag, "p2", { dryRun: true })).toMatchObject({ status: 200, body: { outcome: "would-evict" } });
    expect(await evict(tag, "p2")).toMatchObject({ status: 403, body: { outcome: "forbidden" } });
    const branch = await evict(await gh({ ref: "refs/heads/feature" }), "p2");
    expect(branch).toMatchObject({ status: 403, body: { outcome: "forbidden", message: expect.stringMatching(/no rule .* grants oidc:github:acme\/deploy@refs\/heads\/feature/) } });
    expect(audit.find((e) => e.requestId === branch.body.requestId)).toMatchObject({ caller: "oidc:github:acme/deploy@refs/heads/feature" });
    expect(sent("p2")).toHaveLength(1); // the dry run only
  });

  it("escapes claim characters a caller id cannot carry, and refuses a token without the claims it needs", async () => {
    const answer = await evict(await gh({ repository: "acme/evil\nuser: admin", ref: "x y" }), "esc");
    expect(answer.status).toBe(200);
    expect(audit.find((e) => e.requestId === answer.body.requestId)).toMatchObject({ caller: "oidc:github:acme/evil%0Auser:%20admin@x%20y" });
    expect(sent("esc").at(-1)).toMatchObject({ user: "egw:oidc:github:acme/evil%0Auser:%20admin@x%20y" });
    expect(await evict(await gh({ ref: undefined }))).toMatchObject({ status: 401, body: { message: expect.stringMatching(/ref claim/) } });
    expect(await evict(await gh({ ref: { nested: true } }))).toMatchObject({ status: 401 });
  });

  it("spends its own rate limits, never another caller's", async () => {
    const a = await gh({ ref: "refs/heads/main" });
    const b = await sign(glKey, { iss: gitlab.url, aud: AUD, sub: "x", project_path: "acme/deploy" });
    expect((await evict(a, "nobody", {}, "limited")).status).toBe(404);
    expect((await evict(a, "nobody", {}, "limited")).status).toBe(429);
    expect((await evict(b, "nobody", {}, "limited")).status).toBe(404);
    expect((await evict(TEST_KEYS.full, "nobody", {}, "limited")).status).toBe(404);
  });
});

describe("a token that is not valid is refused with 401, and nothing is sent", () => {
  it("expired, beyond the clock skew (and accepted within it)", async () => {
    expect(await evict(await gh({ iat: now() - 600, exp: now() - 120 }), "p3")).toMatchObject({ status: 401, body: { outcome: "unauthorized", message: "The token has expired." } });
    expect((await evict(await gh({ iat: now() - 600, exp: now() - 10 }))).status).toBe(404);
  });

  it("not valid yet (nbf)", async () => {
    expect(await evict(await gh({ nbf: now() + 120 }), "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/not valid yet/) } });
  });

  it("without an exp", async () => {
    const token = await new SignJWT({ iss: github.url, aud: AUD, ...MAIN }).setProtectedHeader({ alg: "RS256", kid: ghKey.kid }).sign(ghKey.privateKey);
    expect((await evict(token, "p3")).status).toBe(401);
  });

  it("for another audience", async () => {
    expect(await evict(await gh({ aud: "https://github.com/acme" }), "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/audience/) } });
  });

  it("from an issuer nobody trusts, even signed by a trusted key", async () => {
    expect(await evict(await gh({ iss: "https://evil.example" }), "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/not from an issuer this gateway trusts/) } });
    expect((await evict(await gh({ iss: `${github.url}/` }), "p3")).status).toBe(401);
  });

  it("claiming one issuer but signed with another issuer's key, whatever kid it names", async () => {
    const asGitlabKey = await sign(glKey, { iss: github.url, aud: AUD, ...MAIN });
    expect(await evict(asGitlabKey, "p3")).toMatchObject({ status: 401 });
    const forgedKid = await sign(rotKey1, { iss: github.url, aud: AUD, ...MAIN }, { kid: ghKey.kid });
    expect(await evict(forgedKid, "p3")).toMatchObject({ status: 401, body: { message: "The token's signature is not valid." } });
  });

  it("alg confusion: HS256 keyed with the issuer's public key, alg none, and an algorithm the issuer does not allow", async () => {
    const publicPem = createPublicKey({ key: ghKey.jwk as never, format: "jwk" }).export({ type: "spki", format: "pem" });
    const claims = { iss: github.url, aud: AUD, ...MAIN, iat: now(), exp: now() + 300 };
    const hs = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: ghKey.kid }).sign(new TextEncoder().encode(String(publicPem)));
    expect(await evict(hs, "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/algorithm/) } });
    const none = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`;
    expect(await evict(none, "p3")).toMatchObject({ status: 401 });
    const noneWithKid = `${b64url({ alg: "none", kid: ghKey.kid })}.${b64url(claims)}.${b64url({})}`;
    expect((await evict(noneWithKid, "p3")).status).toBe(401);
    // gitlab allows ES256 only: an RS256 token from its (rotating) key of that type is refused.
    const rsForGitlab = await sign(rotKey1, { iss: gitlab.url, aud: AUD, sub: "x", project_path: "acme/x" });
    expect(await evict(rsForGitlab, "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/algorithm/) } });
    // A tampered payload under a good signature.
    const [h, , sig] = (await gh()).split(".");
    expect((await evict(`${h}.${b64url({ ...claims, repository: "acme/deploy", ref: "refs/heads/main", sub: "admin" })}.${sig}`, "p3")).status).toBe(401);
    expect(sent("p3")).toHaveLength(0);
  });

  it("an unknown kid: refused, and the JWKS is fetched again at most once per cooldown", async () => {
    expect((await evict(await gh())).status).toBe(404);
    const before = github.fetches();
    const stranger = await makeKey("RS256");
    for (let i = 0; i < 5; i++) {
      const token = await sign(stranger, { iss: github.url, aud: AUD, ...MAIN });
      expect(await evict(token, "p3")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/does not publish/) } });
    }
    expect(github.fetches() - before).toBeLessThanOrEqual(1);
  });
});

describe("key rotation", () => {
  it("a new key is fetched when a token names it, and a key the issuer dropped stops working", async () => {
    const claims = { iss: rotating.url, aud: AUD, sub: "system:serviceaccount:ci:deployer" };
    expect((await evict(await sign(rotKey1, claims))).status).toBe(404);
    rotating.publish([rotKey2]);
    const fresh = await sign(rotKey2, claims);
    // The refetch waits out the issuer's 1 s cooldown; polled, never slept.
    await waitFor("the new key to be fetched", async () => ((await evict(fresh)).status === 404 ? true : undefined), 10_000, 200);
    expect(await evict(await sign(rotKey1, claims), "p4")).toMatchObject({ status: 401, body: { message: expect.stringMatching(/does not publish/) } });
    expect(audit.at(-2)).toMatchObject({ caller: "oidc:rotating:system:serviceaccount:ci:deployer" });
  });
});

describe("an issuer whose keys cannot be fetched", () => {
  it("answers 503 with Retry-After, not 401: the token may well be good", async () => {
    const key = await makeKey("RS256");
    const answer = await evict(await sign(key, { iss: "http://127.0.0.1:1", aud: AUD, sub: "x" }), "p5");
    expect(answer).toMatchObject({ status: 503, body: { outcome: "unavailable" } });
    expect(answer.headers.get("retry-after")).toBe("5");
  });
});

describe("the config", () => {
  const issuer = { name: "x", issuer: "https://issuer.example", audience: "a", jwksUri: "https://issuer.example/jwks", rules: [{ match: { sub: "*" }, scopes: [{}] }] };
  const parse = (i: object) => () => parseConfig({ clusters: [{ name: "c", type: "sandbox" }], oidc: { issuers: [{ ...issuer, ...i }] } });
  it("refuses none and HMAC algorithms, private or symmetric inline keys, and both or neither key source", () => {
    expect(parse({ algorithms: ["none"] })).toThrow(/algorithms\[0\]: none .* never accepted/);
    expect(parse({ algorithms: ["RS256", "HS256"] })).toThrow(/algorithms\[1\]: HS256 is HMAC/);
    expect(parse({ jwksUri: undefined, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } })).toThrow(/kty: a symmetric key[\s\S]*\.k: is private key material/);
    expect(parse({ jwksUri: undefined, jwks: { keys: [{ ...ghKey.jwk, d: "AAAA" }] } })).toThrow(/\.d: is private key material/);
    expect(parse({ jwks: { keys: [ghKey.jwk] } })).toThrow(/exactly one/);
    expect(parse({ jwksUri: undefined })).toThrow(/exactly one/);
    expect(parse({ callerId: "{sub}\n" })).toThrow(/callerId/);
    expect(parse({})).not.toThrow();
  });
});
