import { env } from "cloudflare:workers";
import { DurableObjectStore } from "../../src/worker/durable-object-store.js";
import { operationStoreContract } from "../contract/operations.js";

// An object per operation and one index object, inside workerd.
operationStoreContract("durable objects", async () => new DurableObjectStore(env.GATEWAY_STATE));
