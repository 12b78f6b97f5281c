import { env, exports } from "cloudflare:workers";
import { importJWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// An OIDC caller inside workerd: the issuer's keys are inline in GATEWAY_CONFIG (worker-global-setup.ts).
const gateway = (path: string, token: string, body: object) =>
  exports.default.fetch(new Request(`https://gateway.test${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) }));

async function token(claims: object, alg = "ES256"): Promise<string> {
  const jwk = JSON.parse(env.OIDC_PRIVATE_JWK) as { kid: string };
  const key = await importJWK(jwk, "ES256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "https://ci.example", aud: "egw-worker", sub: "deployer", iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg, kid: jwk.kid }).sign(key);
}

// The audit lines go to console.log in workerd: kept here, both to read the caller and to keep the run quiet.
const lines: string[] = [];
beforeAll(() => void vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line))));
afterAll(() => vi.restoreAllMocks());

describe("OIDC on workerd (inline JWKS)", () => {
  it("a valid token may do what its rule grants, as oidc:<issuer>:<sub>", async () => {
    const r = await gateway("/v1/clusters/sandbox/namespaces/default/pods/nobody/eviction", await token({}), { dryRun: true });
    expect(r.status).toBe(404);
    const forbidden = await gateway("/v1/clusters/sandbox/namespaces/default/pods/nobody/eviction", await token({}), {});
    expect(forbidden.status).toBe(403);
    const callers = lines.map((l) => (JSON.parse(l) as { caller: string | null }).caller);
    expect(callers).toEqual(["oidc:ci:deployer", "oidc:ci:deployer"]);
  });

  it("refuses an expired token, another audience and alg none with 401", async () => {
    const path = "/v1/clusters/sandbox/namespaces/default/pods/nobody/eviction";
    const now = Math.floor(Date.now() / 1000);
    expect((await gateway(path, await token({ iat: now - 900, exp: now - 600 }), { dryRun: true })).status).toBe(401);
    expect((await gateway(path, await token({ aud: "someone-else" }), { dryRun: true })).status).toBe(401);
    const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none" })}.${b64({ iss: "https://ci.example", aud: "egw-worker", sub: "deployer", exp: now + 300 })}.`;
    const answer = await gateway(path, none, { dryRun: true });
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { outcome: string }).outcome).toBe("unauthorized");
  });
});
