import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * The operational lines an in-process gateway writes to stderr while tests start, stop and break
 * it on purpose (its cluster checks, a store taken away). Tests that assert on them read them
 * through the gateway's `log` option or a spawned process's stderr; on the console they are noise.
 */
const KNOWN_NOISE = /^\{"level":"(info|warn)","msg":"(cluster check (passed|failed)|state store (unavailable|recovered)|redis not reachable at start[^"]*)"/;

export default defineConfig({
  test: {
    onConsoleLog: (log) => (KNOWN_NOISE.test(log) ? false : undefined),
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.worker.test.ts"],
          globalSetup: ["test/support/node-global-setup.ts"],
          setupFiles: ["test/support/openapi-fetch.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                GATEWAY_CONFIG: inject("workerGatewayConfig"),
                SANDBOX_TOKEN: inject("sandboxToken"),
                SANDBOX_URL: inject("sandboxUrl"),
                OIDC_PRIVATE_JWK: inject("oidcPrivateJwk"),
                SLACK_SIGNING_SECRET: inject("slackSigningSecret"),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.worker.test.ts"],
          globalSetup: ["test/support/worker-global-setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
