import { env } from "cloudflare:workers";
import { createFetchTransport } from "../../src/worker/fetch-transport.js";
import { transportContract } from "../contract/transport.js";
import { SandboxClient } from "../support/sandbox-client.js";

// The Workers transport, inside workerd, against the Node-hosted sandbox.
transportContract("fetch inside workerd", async () => ({
  transport: createFetchTransport({ server: env.SANDBOX_URL, token: env.SANDBOX_TOKEN }),
  refused: createFetchTransport({ server: "http://127.0.0.1:1", token: env.SANDBOX_TOKEN }),
  sandbox: new SandboxClient(env.SANDBOX_URL, env.SANDBOX_TOKEN),
}));
