import type { RuntimeOffer } from "../service/preflight.js";
import { workerClusterTypes } from "./clusters.js";

/** What Workers offer: token and sandbox clusters, Durable Object (or one isolate's memory) state. */
export const workerRuntime: RuntimeOffer = { name: "Workers", factories: workerClusterTypes, storeTypes: ["durable-objects", "memory"] };
