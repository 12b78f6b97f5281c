import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/schema.js";
import { startNodeGateway, type NodeGateway } from "../../src/node/gateway.js";
import type { AuditEntry } from "../../src/service/ports.js";
import { makeKey, sign, startIssuer, type TestIssuer } from "../support/oidc-issuer.js";
import { SandboxClient } from "../support/sandbox-client.js";
import { ADMIN_TOKEN, startTestSandbox, type TestSandbox } from "../support/sandbox-server.js";

// The README's OIDC recipes, run as written: the GitHub Actions job's step against a local gateway,
// with a local stand-in for GitHub's token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) and its JWKS.
const run = promisify(execFile);
const root = new URL("../..", import.meta.url).pathname;
const example = (name: string) => readFileSync(join(root, "examples", name), "utf8");
const REQUEST_TOKEN = randomBytes(16).toString("hex");

let sandbox: TestSandbox;
let gateway: NodeGateway;
let issuer: TestIssuer;
let tokenEndpoint: Server;
let tokenUrl: string;
const audit: AuditEntry[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const s = new SandboxClient(sandbox.http.url, ADMIN_TOKEN);
  await s.createNamespace("web");
  await s.createPod("web", "canary-0");
  const key = await makeKey("RS256");
  issuer = await startIssuer([key]);
  // The recipe's issuer config as written, pointed at the local issuer.
  const github = (yaml.load(example("oidc-issuers.yaml")) as { oidc: { issuers: Record<string, unknown>[] } }).oidc.issuers[0]!;
  const config = parseConfig({
    clusters: [{ name: "prod", type: "token", server: sandbox.http.url, token: { env: "T" } }],
    oidc: { issuers: [{ ...github, issuer: issuer.url, jwksUri: issuer.jwksUri }] },
  });
  gateway = await startNodeGateway({ config, port: 0, env: { T: ADMIN_TOKEN }, audit: { write: (e) => audit.push(e) } });
  // GitHub's token endpoint: it needs the job's request token, and puts the asked-for audience in the JWT.
  tokenEndpoint = createServer(async (req, res) => {
    const url = new URL(req.url!, "http://x");
    if (req.headers.authorization !== `Bearer ${REQUEST_TOKEN}` || url.searchParams.get("api-version") !== "2.0") return void res.writeHead(401).end();
    const value = await sign(key, { iss: issuer.url, aud: url.searchParams.get("audience")!, sub: "repo:acme/deploy:ref:refs/heads/main", repository: "acme/deploy", ref: "refs/heads/main" });
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ count: 1, value }));
  });
  await new Promise<void>((resolve) => tokenEndpoint.listen(0, "127.0.0.1", resolve));
  tokenUrl = `http://127.0.0.1:${(tokenEndpoint.address() as AddressInfo).port}/token?api-version=2.0`;
});
afterAll(async () => {
  await gateway?.close();
  await new Promise<void>((resolve) => (tokenEndpoint ? tokenEndpoint.close(() => resolve()) : resolve()));
  await Promise.all([issuer?.close(), sandbox?.close()]);
});

describe("README OIDC recipes", () => {
  it("the README holds them verbatim, and the issuers example is a valid config", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    for (const name of ["github-actions-oidc.yml", "oidc-issuers.yaml"]) expect(readme, name).toContain(example(name).trim());
    const issuers = yaml.load(example("oidc-issuers.yaml")) as object;
    expect(() => parseConfig({ clusters: [{ name: "prod", type: "sandbox" }], ...issuers })).not.toThrow();
  });

  it("a GitHub Actions job with id-token: write evicts as its repository and ref, with no stored key", async () => {
    const workflow = yaml.load(example("github-actions-oidc.yml")) as { permissions: Record<string, string>; jobs: { "evict-canary": { steps: { env: Record<string, string>; run: string }[] } } };
    expect(workflow.permissions["id-token"]).toBe("write");
    const step = workflow.jobs["evict-canary"].steps[0]!;
    const { stdout } = await run("bash", ["-e", "-c", step.run], {
      cwd: mkdtempSync(join(tmpdir(), "egw-oidc-")),
      env: {
        PATH: process.env.PATH,
        EGW_URL: gateway.url,
        EGW_AUDIENCE: step.env.EGW_AUDIENCE!,
        ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        GITHUB_RUN_ID: "7",
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_SHA: "abc123",
      },
    });
    expect(stdout).toContain('"message":"Eviction accepted: pod web/canary-0 on prod is terminating."');
    expect(audit.at(-1)).toMatchObject({ caller: "oidc:github:acme/deploy@refs/heads/main", outcome: "evicted" });
  });
});
