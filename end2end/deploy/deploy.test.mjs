// The deployment files (Dockerfile, deploy/k8s, deploy/docker-compose.yml) checked without a
// container engine: each against its schema or linter, and against each other and the server's
// settings. Run by scripts/check-deploy.sh, which also runs the tools' own checkers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import dockerfile from "dockerfile-utils";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file) => fs.readFileSync(path.join(root, file), "utf8");
const k8sDir = "deploy/k8s";
const manifests = fs
  .readdirSync(path.join(root, k8sDir))
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .sort();
const objects = Object.fromEntries(
  manifests.map((f) => [f, YAML.parse(read(`${k8sDir}/${f}`))]),
);
const byKind = (kind) => Object.values(objects).find((o) => o.kind === kind);
const dockerfileText = read("Dockerfile");
const compose = YAML.parse(read("deploy/docker-compose.yml"));

// Every setting the server knows is named in .env.example (set or commented out).
const knownSettings = new Set(
  [...read(".env.example").matchAll(/^#?\s*(MEMORY_[A-Z0-9_]+)=/gm)].map((m) => m[1]),
);

test("every Kubernetes manifest is valid against the Kubernetes API schema", async () => {
  assert.deepEqual(manifests, [
    "configmap.yaml",
    "deployment.yaml",
    "hpa.yaml",
    "pdb.yaml",
    "secret.yaml",
    "service.yaml",
  ]);
  for (const [file, object] of Object.entries(objects)) {
    const [group, version] = object.apiVersion.includes("/")
      ? object.apiVersion.split("/")
      : [null, object.apiVersion];
    const models = await import(`kubernetes-models/${group ? `${group}/` : ""}${version}`);
    const Model = models[object.kind];
    assert.ok(Model, `${file}: unknown kind ${object.apiVersion} ${object.kind}`);
    assert.doesNotThrow(() => new Model(object).validate(), `${file}`);
  }
  // The validator is not a formality: a wrong type is refused.
  const { Deployment } = await import("kubernetes-models/apps/v1");
  const broken = structuredClone(byKind("Deployment"));
  broken.spec.template.spec.containers[0].ports[0].containerPort = "eight thousand";
  assert.throws(() => new Deployment(broken).validate());
});

test("kustomization.yaml applies every manifest", () => {
  const k = YAML.parse(read(`${k8sDir}/kustomization.yaml`));
  assert.deepEqual([...k.resources].sort(), manifests);
});

test("the Deployment probes the real endpoints and matches the image", () => {
  const deployment = byKind("Deployment");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  assert.equal(container.livenessProbe.httpGet.path, "/v1/admin/health");
  assert.equal(container.startupProbe.httpGet.path, "/v1/admin/health");
  assert.equal(container.readinessProbe.httpGet.path, "/v1/admin/readiness");
  const config = byKind("ConfigMap").data;
  assert.equal(container.ports[0].containerPort, Number(config.MEMORY_PORT));
  // Pods are let finish their shutdown (in-flight requests, embedding batches).
  assert.ok(
    pod.terminationGracePeriodSeconds > Number(config.MEMORY_SHUTDOWN_TIMEOUT_SECONDS),
    "terminationGracePeriodSeconds must exceed MEMORY_SHUTDOWN_TIMEOUT_SECONDS",
  );
  // The image's user is the one the pod runs as.
  const uid = dockerfileText.match(/useradd [^\n]*--uid (\d+)/)[1];
  assert.equal(pod.securityContext.runAsUser, Number(uid));
  assert.match(dockerfileText, /^USER memory:memory$/m);
  // Both objects select the Deployment's pods.
  const labels = deployment.spec.template.metadata.labels;
  for (const kind of ["Service", "PodDisruptionBudget"]) {
    const o = byKind(kind);
    const selector = o.spec.selector.matchLabels ?? o.spec.selector;
    for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v, kind);
  }
  assert.equal(byKind("HorizontalPodAutoscaler").spec.scaleTargetRef.name, deployment.metadata.name);
});

test("every setting the deployment files set is one the server knows", () => {
  const named = [
    ...Object.keys(byKind("ConfigMap").data),
    ...Object.keys(byKind("Secret").stringData),
    ...Object.keys(compose["x-memory-mesh"].environment),
    ...[...dockerfileText.matchAll(/\b(MEMORY_[A-Z0-9_]+)=/g)].map((m) => m[1]),
  ];
  assert.ok(named.length > 20);
  const unknown = named.filter((n) => n.startsWith("MEMORY_") && !knownSettings.has(n));
  assert.deepEqual(unknown, []);
});

test("the Dockerfile has no lint problem, a health check and a non-root user", () => {
  const problems = dockerfile.validate(dockerfileText).map((d) => `${d.range.start.line + 1}: ${d.message}`);
  assert.deepEqual(problems, []);
  assert.match(dockerfileText, /^HEALTHCHECK .*CMD \["memory-mesh", "health"\]$/ms);
  assert.match(dockerfileText, /^FROM [^\n]+ AS build$/m);
});

test("the compose file's proxy, Prometheus and Grafana point at what exists", () => {
  const services = compose.services;
  for (const name of ["postgres", "redis", "memory-mesh-1", "memory-mesh-2", "proxy", "prometheus", "grafana"]) {
    assert.ok(services[name], name);
  }
  // Only the proxy's X-Forwarded-For is believed.
  assert.equal(
    compose["x-memory-mesh"].environment.MEMORY_TRUSTED_PROXIES,
    services.proxy.networks.mesh.ipv4_address,
  );
  // Prometheus scrapes each instance by its service name.
  const prometheus = YAML.parse(read("deploy/prometheus/prometheus.yml"));
  const targets = prometheus.scrape_configs[0].static_configs[0].targets;
  assert.deepEqual(targets, ["memory-mesh-1:8000", "memory-mesh-2:8000"]);
  // The Caddyfile's default upstreams are the same.
  const caddyfile = read("deploy/caddy/Caddyfile");
  for (const t of targets) assert.ok(caddyfile.includes(t), t);
  // Every mounted file is in the repository.
  for (const service of Object.values(services)) {
    for (const volume of service.volumes ?? []) {
      const source = volume.split(":")[0];
      if (source.startsWith(".")) assert.ok(fs.existsSync(path.join(root, "deploy", source)), source);
    }
  }
  const datasource = YAML.parse(read("deploy/grafana/provisioning/datasources/prometheus.yml"));
  assert.equal(datasource.datasources[0].url, "http://prometheus:9090");
});

test("every alert rule is explained in docs/operations.md", () => {
  const rules = YAML.parse(read("deploy/prometheus/alerts.yml")).groups.flatMap((g) => g.rules);
  const runbook = read("docs/operations.md");
  assert.ok(rules.length >= 10);
  const unexplained = rules.map((r) => r.alert).filter((a) => !runbook.includes(`\`${a}\``));
  assert.deepEqual(unexplained, []);
});
