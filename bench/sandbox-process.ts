// A sandbox cluster in its own process, over HTTPS with a fresh CA: the upstream for the benchmarks.
import { SandboxCluster } from "../src/sandbox/cluster.js";
import { runningPod } from "../src/sandbox/seed.js";
import { serveSandbox } from "../src/sandbox/serve.js";

const token = "bench-token";
const cluster = new SandboxCluster({ tokens: [{ token, user: "bench", role: "admin" }] });
cluster.createNamespace({ metadata: { name: "bench" } });
runningPod(cluster, "bench", "p", { app: "bench" });
const running = await serveSandbox(cluster);
console.log(JSON.stringify({ url: running.url, caPem: running.caPem, token }));
