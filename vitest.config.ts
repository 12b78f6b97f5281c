import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
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
