// Types for tests that run inside workerd: the Worker's own module is the main module.
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../src/worker/index.js");
  }
  interface Env {
    SANDBOX_URL: string;
    SANDBOX_TOKEN: string;
    OIDC_PRIVATE_JWK: string;
    SLACK_SIGNING_SECRET: string;
    GATEWAY_STATE: DurableObjectNamespace<import("../src/worker/state-object.js").GatewayState>;
  }
}
