// The load generator, run as its own process: autocannon with the options given as JSON in argv[2].
// A "{i}" in the path is replaced by a counter modulo `distinct`, to spread requests over many keys.
import autocannon from "autocannon";

interface Load {
  url: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration?: number;
  amount?: number;
  ca?: string;
  distinct?: number;
}

const load = JSON.parse(process.argv[2]!) as Load;
let i = 0;
const result = await autocannon({
  url: load.url,
  connections: load.connections,
  ...(load.duration ? { duration: load.duration } : {}),
  ...(load.amount ? { amount: load.amount } : {}),
  ...(load.ca ? { tlsOptions: { ca: load.ca } } : {}),
  requests: [
    {
      method: (load.method ?? "POST") as "POST",
      headers: load.headers ?? {},
      ...(load.body ? { body: load.body } : {}),
      setupRequest: (request: { path?: string }) => {
        request.path = load.path.replace("{i}", String(i++ % (load.distinct ?? 1)));
        return request;
      },
    },
  ],
});
const statuses: Record<string, number> = {};
for (const [k, v] of Object.entries(result.statusCodeStats ?? {})) statuses[k] = (v as { count: number }).count;
console.log(
  JSON.stringify({
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
  }),
);
