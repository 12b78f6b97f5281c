import { env, exports } from "cloudflare:workers";
import { outcomeSuite } from "../contract/outcomes.js";
import { SandboxClient } from "../support/sandbox-client.js";

// The Worker (src/worker.ts) inside workerd, reaching the Node-hosted sandbox with its fetch transport.
const bindings = env;

outcomeSuite("workerd", () => ({
  gateway: (path, init) => exports.default.fetch(new Request(`https://gateway.test${path}`, init)),
  sandbox: new SandboxClient(bindings.SANDBOX_URL, bindings.SANDBOX_TOKEN),
}));
