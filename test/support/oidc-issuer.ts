import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from "jose";

/** A signing key made at test time: its private half signs, its public JWK is published. */
export interface TestKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function makeKey(alg: "RS256" | "ES256", kid = `k-${crypto.randomUUID().slice(0, 8)}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** Signs claims as an issuer would: iat now, exp in 5 minutes, unless the claims say otherwise. */
export async function sign(key: TestKey, claims: JWTPayload, header: { kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iat: now, exp: now + 300, ...claims }).setProtectedHeader({ alg: key.alg, kid: header.kid ?? key.kid, typ: "JWT" }).sign(key.privateKey);
}

/** A local OIDC issuer's JWKS endpoint: the keys it publishes can change, and its fetches are counted. */
export interface TestIssuer {
  url: string;
  jwksUri: string;
  publish(keys: TestKey[]): void;
  fetches(): number;
  close(): Promise<void>;
}

export async function startIssuer(keys: TestKey[]): Promise<TestIssuer> {
  let published = keys;
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== "/jwks") {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUri: `${url}/jwks`,
    publish: (next) => void (published = next),
    fetches: () => fetches,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
