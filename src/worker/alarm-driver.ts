import type { OperationDriver } from "../service/operations.js";
import type { WorkerEnv } from "./bindings.js";
import type { GatewayState } from "./state-object.js";

/** The binding whose objects hold state and run operations (wrangler.toml). */
const STATE_BINDING = "GATEWAY_STATE";

/**
 * Workers: an operation runs in its own Durable Object ("run:<id>"), one tick per alarm, so no
 * request or isolate is held while it goes on, and an evicted isolate loses nothing: the alarm
 * fires again, and the tick starts from the saved state.
 */
export class AlarmDriver implements OperationDriver {
  constructor(private readonly env: WorkerEnv) {}

  async start(id: string): Promise<void> {
    const namespace = this.env[STATE_BINDING] as DurableObjectNamespace<GatewayState>;
    await namespace.get(namespace.idFromName(`run:${id}`)).runOperation(id);
  }
}
