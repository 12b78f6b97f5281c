import { env } from "cloudflare:workers";
import { DurableObjectStore } from "../../src/worker/durable-object-store.js";
import { storeContract } from "../contract/stores.js";

// One GatewayState Durable Object per key, inside workerd.
storeContract("durable objects", async () => new DurableObjectStore(env.GATEWAY_STATE));
