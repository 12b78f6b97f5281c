import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig, type GatewayConfig } from "../../src/config/schema.js";
import { CLEANUP_GRACE_MS } from "../../src/node/gateway.js";

/**
 * deploy/kubernetes rendered by the real `kubectl kustomize`, every object validated against the
 * Kubernetes OpenAPI schemas (kubernetes-models), the config in the ConfigMap against the
 * gateway's own schema, and the references between the objects followed.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const NAMESPACE = "eviction-gateway";

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [key: string]: any };

function kustomize(dir: string): K8sObject[] {
  const run = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  if (run.error) throw new Error(`kubectl kustomize could not run: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${run.stderr.trim()}`);
  return yaml.loadAll(run.stdout) as K8sObject[];
}

/** Validates one object with the kubernetes-models class for its apiVersion and kind; throws what is wrong. */
async function validate(object: K8sObject): Promise<void> {
  const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : [null, object.apiVersion];
  const module = group ? `kubernetes-models/${group}/${version}/${object.kind}` : `kubernetes-models/${version}/${object.kind}`;
  let Model: new (data: object) => { validate(): void };
  try {
    Model = (await import(/* @vite-ignore */ module))[object.kind];
  } catch {
    throw new Error(`no Kubernetes schema for ${object.apiVersion} ${object.kind}`);
  }
  if (!Model) throw new Error(`no Kubernetes schema for ${object.apiVersion} ${object.kind}`);
  const { apiVersion: _a, kind: _k, ...data } = object;
  new Model(data).validate();
}

/** A copy of deploy/kubernetes in a temporary folder, so a test can add the files git keeps out. */
function copyOfDeploy(): string {
  const dir = mkdtempSync(join(tmpdir(), "egw-kustomize-"));
  cpSync(join(ROOT, "deploy/kubernetes"), join(dir, "kubernetes"), { recursive: true });
  return join(dir, "kubernetes");
}

const find = (objects: K8sObject[], kind: string, namePrefix = "eviction-gateway") => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name.startsWith(namePrefix));
  expect(found, `${kind} ${namePrefix}`).toHaveLength(1);
  return found[0]!;
};
const one = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found!;
};

function configOf(objects: K8sObject[]): GatewayConfig {
  const map = find(objects, "ConfigMap", "eviction-gateway-config");
  return parseConfig(yaml.load(map.data["gateway.yaml"]), "the ConfigMap's gateway.yaml");
}

function gatewayContainer(objects: K8sObject[]) {
  const deployment = one(objects, "Deployment", "eviction-gateway");
  return { deployment, pod: deployment.spec.template.spec, container: deployment.spec.template.spec.containers.find((c: any) => c.name === "gateway") };
}

const env = (container: any, name: string): string | undefined => container.env?.find((e: any) => e.name === name)?.value;

/** Checks what must hold for the gateway in any rendering: references resolve, and the config fits the pod. */
function checkGateway(objects: K8sObject[]): GatewayConfig {
  const { deployment, pod, container } = gatewayContainer(objects);
  const config = configOf(objects);
  const configMap = find(objects, "ConfigMap", "eviction-gateway-config");
  const secret = find(objects, "Secret", "eviction-gateway-secrets");
  for (const o of objects) if (o.kind !== "Namespace" && !o.kind.startsWith("Cluster")) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(NAMESPACE);

  // The volumes name the generated (hash-suffixed) ConfigMap and Secret.
  const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
  expect(volumes.config.configMap.name).toBe(configMap.metadata.name);
  expect(volumes.secrets.secret.secretName).toBe(secret.metadata.name);
  const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.name, m.mountPath]));
  expect(env(container, "GATEWAY_CONFIG")).toBe(`${mounts.config}/gateway.yaml`);
  expect(env(container, "HOST")).toBe("0.0.0.0");

  // Every secret the config reads is a file in the mounted Secret, and the Secret has that key.
  const refs = JSON.stringify(config).match(/"file":"[^"]+"/g) ?? [];
  for (const ref of refs) {
    const path = ref.slice(8, -1);
    expect(path.startsWith(`${mounts.secrets}/`), path).toBe(true);
    expect(Object.keys(secret.data ?? {})).toContain(path.slice(mounts.secrets.length + 1));
  }

  // The ports the config and the env choose are the container's, and the Service, probes and policy use them.
  const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]));
  expect(Number(env(container, "PORT"))).toBe(ports.http);
  expect(config.metrics.port).toBe(ports.metrics);
  const service = one(objects, "Service", "eviction-gateway");
  expect(service.spec.ports.map((p: any) => p.targetPort)).toEqual(["http"]);
  expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
  for (const policy of objects.filter((o) => o.kind === "NetworkPolicy")) {
    for (const rule of policy.spec.ingress ?? []) for (const p of rule.ports ?? []) if (typeof p.port === "string" && policy.metadata.name === "eviction-gateway") expect(ports).toHaveProperty(p.port);
  }
  expect(pod.metadata?.annotations?.["prometheus.io/port"] ?? deployment.spec.template.metadata.annotations["prometheus.io/port"]).toBe(String(ports.metrics));

  // Drains before it is killed: the grace period covers the preStop pause, the drain timeout and the clean-up.
  const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(preStop + config.shutdown.drainTimeoutSeconds + CLEANUP_GRACE_MS / 1000);
  return config;
}

describe("kubectl kustomize deploy/kubernetes (the base)", () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomize(join(ROOT, "deploy/kubernetes"));
  });

  it("renders the objects a gateway needs, each valid against the Kubernetes OpenAPI schemas", async () => {
    expect(objects.map((o) => o.kind).sort()).toEqual(
      ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "NetworkPolicy", "PodDisruptionBudget", "Secret", "Service", "ServiceAccount"].sort(),
    );
    for (const object of objects) await expect(validate(object), `${object.kind} ${object.metadata.name}`).resolves.toBeUndefined();
  });

  it("holds a config the gateway accepts: the in-cluster cluster, no secret, metrics off the public port", () => {
    const config = checkGateway(objects);
    expect(config.clusters.map((c) => c.type)).toEqual(["in-cluster"]);
    expect(config.store).toBeUndefined();
    // No secret is committed: the base's Secret is empty, and the API key is a placeholder no key matches.
    expect(find(objects, "Secret", "eviction-gateway-secrets").data ?? {}).toEqual({});
    expect(config.apiKeys.map((k) => k.hash)).toEqual([`sha256:${"0".repeat(64)}`]);
  });

  it("gives the gateway the least rights: create pods/eviction, nothing else, bound to its ServiceAccount", () => {
    expect(one(objects, "ClusterRole", "eviction-gateway").rules).toEqual([{ apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] }]);
    const binding = one(objects, "ClusterRoleBinding", "eviction-gateway");
    expect(binding.roleRef).toEqual({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "eviction-gateway" });
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "eviction-gateway", namespace: NAMESPACE }]);
    expect(JSON.stringify(objects)).not.toContain("impersonate");
  });

  it("runs two restricted replicas with probes, resources and a budget of its own", () => {
    const { deployment, pod, container } = gatewayContainer(objects);
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe("eviction-gateway");
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits).toMatchObject({ memory: expect.any(String) });
    const budget = one(objects, "PodDisruptionBudget", "eviction-gateway");
    expect(budget.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(budget.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(find(objects, "Namespace", NAMESPACE).metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("kubectl kustomize deploy/kubernetes/overlays/redis", () => {
  let objects: K8sObject[];
  let dir: string;
  beforeAll(() => {
    dir = copyOfDeploy();
    writeFileSync(join(dir, "overlays/redis/redis.env"), "redis-password=0123456789abcdef0123456789abcdef\n");
    objects = kustomize(join(dir, "overlays/redis"));
  });

  it("adds a Redis, every object valid against the Kubernetes OpenAPI schemas", async () => {
    for (const object of objects) await expect(validate(object), `${object.kind} ${object.metadata.name}`).resolves.toBeUndefined();
    expect(objects.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name).sort()).toEqual(["eviction-gateway", "eviction-gateway-redis"]);
  });

  it("points the gateway's store at that Redis, with the password from the Secret on both sides", () => {
    const config = checkGateway(objects);
    expect(config.store).toMatchObject({ type: "redis", password: { file: "/etc/eviction-gateway/secrets/redis-password" } });
    const url = new URL((config.store as { url: string }).url);
    const service = one(objects, "Service", "eviction-gateway-redis");
    expect(url.hostname).toBe(service.metadata.name);
    expect(Number(url.port)).toBe(service.spec.ports[0].port);
    const redis = one(objects, "Deployment", "eviction-gateway-redis");
    expect(service.spec.selector).toEqual(redis.spec.selector.matchLabels);
    const container = redis.spec.template.spec.containers[0];
    const secret = find(objects, "Secret", "eviction-gateway-secrets");
    expect(container.env[0].valueFrom.secretKeyRef).toEqual({ name: secret.metadata.name, key: "redis-password" });
    expect(Buffer.from(secret.data["redis-password"], "base64").toString()).toBe("0123456789abcdef0123456789abcdef");
    expect(container.args.slice(0, 2)).toEqual(["--requirepass", "$(REDIS_PASSWORD)"]);
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    // Only the gateway's pods reach Redis.
    const policy = one(objects, "NetworkPolicy", "eviction-gateway-redis");
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "eviction-gateway" } } }], ports: [{ port: "redis", protocol: "TCP" }] }]);
  });

  it("refuses to render without the password file, which git ignores", () => {
    const bare = copyOfDeploy();
    expect(existsSync(join(bare, "overlays/redis/redis.env"))).toBe(false);
    expect(() => kustomize(join(bare, "overlays/redis"))).toThrow(/redis\.env/);
  });
});

describe("components/impersonation", () => {
  it("adds the impersonate verb for the listed users and group alone, in a valid ClusterRole", async () => {
    const dir = copyOfDeploy();
    mkdirSync(join(dir, "overlays/impersonating"));
    writeFileSync(join(dir, "overlays/impersonating/kustomization.yaml"), "resources: [../../base]\ncomponents: [../../components/impersonation]\n");
    const objects = kustomize(join(dir, "overlays/impersonating"));
    for (const object of objects) await validate(object);
    const role = one(objects, "ClusterRole", "eviction-gateway-impersonate");
    expect(role.rules.every((r: any) => r.verbs.join() === "impersonate" && r.resourceNames?.length > 0)).toBe(true);
    expect(one(objects, "ClusterRoleBinding", "eviction-gateway-impersonate").subjects).toEqual([{ kind: "ServiceAccount", name: "eviction-gateway", namespace: NAMESPACE }]);
  });
});

describe("components/drain and components/events", () => {
  it.each([
    ["drain", { "": ["pods:get,list", "nodes:get,patch"], policy: ["poddisruptionbudgets:get,list"], apps: ["daemonsets:get"] }],
    ["events", { "": ["events:create"] }],
  ] as const)("%s adds only the rights its feature needs, in valid objects", async (component, expected) => {
    const dir = copyOfDeploy();
    mkdirSync(join(dir, `overlays/with-${component}`));
    writeFileSync(join(dir, `overlays/with-${component}/kustomization.yaml`), `resources: [../../base]\ncomponents: [../../components/${component}]\n`);
    const objects = kustomize(join(dir, `overlays/with-${component}`));
    for (const object of objects) await validate(object);
    const role = one(objects, "ClusterRole", `eviction-gateway-${component}`);
    const granted: Record<string, string[]> = {};
    for (const rule of role.rules) for (const group of rule.apiGroups) for (const resource of rule.resources) (granted[group] ??= []).push(`${resource}:${rule.verbs.join(",")}`);
    expect(granted).toEqual(expected);
    expect(one(objects, "ClusterRoleBinding", `eviction-gateway-${component}`).subjects).toEqual([{ kind: "ServiceAccount", name: "eviction-gateway", namespace: NAMESPACE }]);
  });
});

describe("the validation can fail", () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = kustomize(join(ROOT, "deploy/kubernetes"));
  });
  const broken = (kind: string, name: string, breakIt: (o: any) => void) => {
    const copy = structuredClone(find(objects, kind, name));
    breakIt(copy);
    return copy;
  };

  it("catches a wrong type, a missing required field and an unknown kind", async () => {
    await expect(validate(broken("Deployment", "eviction-gateway", (d) => (d.spec.replicas = "two")))).rejects.toThrow(/replicas must be integer/);
    await expect(validate(broken("Service", "eviction-gateway", (s) => delete s.spec.ports[0].port))).rejects.toThrow(/port/);
    await expect(validate(broken("PodDisruptionBudget", "eviction-gateway", (p) => (p.spec.selector.matchLabels = ["not", "a", "map"])))).rejects.toThrow(/matchLabels/);
    await expect(validate({ apiVersion: "v1", kind: "Podd", metadata: { name: "x" } })).rejects.toThrow(/no Kubernetes schema/);
  });

  it("catches a config the gateway would refuse", () => {
    const map = broken("ConfigMap", "eviction-gateway-config", (m) => (m.data["gateway.yaml"] = m.data["gateway.yaml"].replace("type: in-cluster", "type: in-clustre")));
    expect(() => configOf([map])).toThrow(/clusters\[0\]/);
  });
});

describe("deploy/systemd/eviction-gateway.service", () => {
  it("passes systemd-analyze verify", (ctx) => {
    const which = spawnSync("systemd-analyze", ["--version"]);
    if (which.error || !existsSync("/usr/bin/node")) {
      console.warn("skipped systemd-analyze verify: needs systemd-analyze and /usr/bin/node (the unit's ExecStart)");
      return ctx.skip();
    }
    const run = spawnSync("systemd-analyze", ["verify", join(ROOT, "deploy/systemd/eviction-gateway.service")], { encoding: "utf8" });
    expect(run.stderr.trim()).toBe("");
    expect(run.status).toBe(0);
  });
});
