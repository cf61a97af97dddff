/**
 * Static checks of deploy/kubernetes (no cluster here): every manifest of the base and of the rendered
 * example overlay validates against the Kubernetes OpenAPI schemas (npm `kubernetes-models`), and the
 * properties that matter in production are asserted on the rendered result, as compose.test.ts does for
 * docker-compose.yml.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { kustomizeBuild, type Manifest, podContainers, readYamlDocuments } from "./kustomize.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BASE = `${ROOT}deploy/kubernetes/base`;
const OVERLAY = `${ROOT}deploy/kubernetes/overlays/example`;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "batch/v1/Job": Job,
  "networking.k8s.io/v1/Ingress": Ingress,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
};

function validate(manifest: Manifest): void {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new model(manifest as never).validate();
}

// Shapes read from the manifests (validated against the schemas first).
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  volumes?: { name: string; emptyDir?: object }[];
}
interface Workload extends Manifest {
  spec: { replicas?: number; selector?: { matchLabels: Record<string, string> }; template: PodTemplate };
}
interface PodTemplate {
  metadata: { labels: Record<string, string> };
  spec: PodSpec;
}

const byKind = <T extends Manifest = Manifest>(manifests: Manifest[], kind: string, name: string): T => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} is missing`);
  return found as T;
};
const mebibytes = (quantity: string | undefined) => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity ?? "");
  if (!match) throw new Error(`not a Mi/Gi quantity: ${quantity}`);
  return Number(match[1]) * (match[2] === "Gi" ? 1024 : 1);
};
const flagValue = (options: string, flag: string) => {
  const match = new RegExp(`${flag}=(\\d+)`).exec(options);
  if (!match) throw new Error(`NODE_OPTIONS has no ${flag}`);
  return Number(match[1]);
};
const apiContainer = (manifests: Manifest[]) =>
  byKind<Workload>(manifests, "Deployment", "user-management-api").spec.template.spec
    .containers[0] as Container;
const configData = (manifests: Manifest[]) =>
  byKind(manifests, "ConfigMap", "user-management-api").data as Record<string, string>;

/** The API's routes in Traefik's rule in docker-compose.yml, as Ingress paths. */
function traefikApiPaths(): { path: string; pathType: string }[] {
  const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, "utf8"), { merge: true }) as {
    services: { api: { labels: Record<string, string> } };
  };
  const rule = compose.services.api.labels["traefik.http.routers.api.rule"] ?? "";
  return [...rule.matchAll(/(PathPrefix|Path)\(`([^`]+)`\)/g)].map((match) => ({
    path: match[2] ?? "",
    pathType: match[1] === "PathPrefix" ? "Prefix" : "Exact",
  }));
}

const base = kustomizeBuild(BASE);
const overlay = kustomizeBuild(OVERLAY);

describe("Kubernetes manifests (deploy/kubernetes)", () => {
  it("validates every file of the base, and the rendered base and overlay, against the Kubernetes schemas", () => {
    const files = readdirSync(BASE).filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml");
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) for (const manifest of readYamlDocuments(`${BASE}/${file}`)) validate(manifest);
    for (const manifest of [...base, ...overlay]) validate(manifest);
    expect(new Set(base.map((m) => m.kind))).toEqual(
      new Set(Object.keys(MODELS).map((k) => k.split("/").pop())),
    );
  });

  it("catches a wrong manifest (the validation is not a no-op)", () => {
    const deployment = structuredClone(byKind<Workload>(base, "Deployment", "user-management-api"));
    (deployment.spec as Record<string, unknown>).replicas = "two";
    expect(() => validate(deployment)).toThrow();
    const job = structuredClone(byKind<Workload>(base, "Job", "user-management-migrate"));
    (job.spec.template.spec as unknown as Record<string, unknown>).containers = [{ image: "x" }];
    expect(() => validate(job)).toThrow(/name/);
  });

  it("runs the API as a non-root, read-only pod with probes, a drain delay and a grace period above the app's own", () => {
    const deployment = byKind<Workload>(base, "Deployment", "user-management-api");
    const pod = deployment.spec.template.spec;
    const api = apiContainer(base);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).not.toBe(0);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(api.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(api.securityContext?.capabilities?.drop).toEqual(["ALL"]);
    // The one writable path is an emptyDir on /tmp.
    const tmp = api.volumeMounts?.find((mount) => mount.mountPath === "/tmp");
    expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
    // The image's own CMD (node dist/server.js) runs: no command override.
    expect(api.command).toBeUndefined();

    const port = api.ports?.find((p) => p.name === "http");
    expect(port?.containerPort).toBe(Number(configData(base).PORT));
    expect(api.livenessProbe?.httpGet).toEqual({ path: "/health", port: "http" });
    expect(api.startupProbe?.httpGet).toEqual({ path: "/health", port: "http" });
    expect(api.readinessProbe?.httpGet).toEqual({ path: "/ready", port: "http" });

    const preStopSeconds = api.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(preStopSeconds).toBeGreaterThan(0);
    const shutdownMs = Number(configData(base).SHUTDOWN_TIMEOUT_MS);
    expect(shutdownMs).toBeGreaterThan(0);
    // The kubelet's SIGKILL comes terminationGracePeriodSeconds after the preStop hook starts.
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
      preStopSeconds * 1000 + shutdownMs + 1000,
    );
  });

  it("sizes the API's memory from the heap caps it sets, one process per pod", () => {
    const config = configData(base);
    expect(config.WEB_CONCURRENCY).toBe("1");
    const options = config.NODE_OPTIONS ?? "";
    const oldSpace = flagValue(options, "--max-old-space-size");
    const semiSpace = flagValue(options, "--max-semi-space-size");
    const { requests, limits } = apiContainer(base).resources ?? {};
    // V8's heap (old space + three semi-spaces) plus what lives outside it (code, buffers, native
    // libraries: ~60 MiB measured) stays under the limit, so V8 collects before the kernel kills.
    expect(mebibytes(limits?.memory)).toBeGreaterThan(oldSpace + 3 * semiSpace + 60);
    // The request covers one process after sustained load (~140 MiB measured on Node 24).
    expect(mebibytes(requests?.memory)).toBeGreaterThanOrEqual(140);
    expect(requests?.cpu).toBeDefined();
  });

  it("references every secret from a Secret and defines none", () => {
    const secretish = /SECRET|PASSWORD|DATABASE_URL|SMTP_URL|TOKEN/;
    expect(base.filter((m) => m.kind === "Secret")).toEqual([]);
    expect(Object.keys(configData(base)).filter((key) => secretish.test(key))).toEqual([]);
    const workloads = base.filter((m) => m.kind === "Deployment" || m.kind === "Job") as Workload[];
    const secretVariables = workloads.flatMap((w) =>
      w.spec.template.spec.containers.flatMap((c) => (c.env ?? []).filter((e) => secretish.test(e.name))),
    );
    expect(secretVariables.map((e) => e.name)).toEqual(
      expect.arrayContaining(["DATABASE_URL", "JWT_SECRET", "KEY_ENCRYPTION_SECRET"]),
    );
    for (const variable of secretVariables) {
      expect(variable.value).toBeUndefined();
      expect(variable.valueFrom?.secretKeyRef?.name).toBe("user-management-secrets");
    }
  });

  it("migrates with the same image and configuration before the API rolls out", () => {
    const job = byKind<Workload>(base, "Job", "user-management-migrate");
    const [migrate] = job.spec.template.spec.containers;
    expect(migrate?.command).toEqual(["node", "dist/migrate.js"]);
    expect(migrate?.image).toBe(apiContainer(base).image);
    expect(migrate?.envFrom).toEqual(apiContainer(base).envFrom);
    expect(job.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
    expect(migrate?.securityContext?.readOnlyRootFilesystem).toBe(true);
  });

  it("wires the Service, HPA, PDB and network policies to the API's pods", () => {
    const deployment = byKind<Workload>(base, "Deployment", "user-management-api");
    const podLabels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string> | undefined) =>
      Object.entries(selector ?? {}).every(([key, value]) => podLabels[key] === value);
    const service = byKind(base, "Service", "user-management-api") as Manifest & {
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    };
    expect(matches(service.spec.selector)).toBe(true);
    expect(service.spec.ports[0]?.targetPort).toBe("http");
    const hpa = byKind(base, "HorizontalPodAutoscaler", "user-management-api") as Manifest & {
      spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number };
    };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: "Deployment", name: "user-management-api" });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    const pdb = byKind(base, "PodDisruptionBudget", "user-management-api") as Manifest & {
      spec: { selector: { matchLabels: Record<string, string> } };
    };
    expect(matches(pdb.spec.selector.matchLabels)).toBe(true);

    type Policy = Manifest & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress?: { ports: { port: number }[] }[];
        egress?: { ports: { port: number }[] }[];
      };
    };
    const deny = byKind<Policy>(base, "NetworkPolicy", "user-management-default-deny");
    expect(deny.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(deny.spec.ingress).toBeUndefined();
    // The default deny selects every pod of the service (the common label reaches pod templates).
    for (const workload of base.filter((m) => m.kind === "Deployment" || m.kind === "Job") as Workload[]) {
      const labels = workload.spec.template.metadata.labels;
      expect(Object.entries(deny.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    }
    const allowApi = byKind<Policy>(base, "NetworkPolicy", "user-management-api");
    expect(matches(allowApi.spec.podSelector.matchLabels)).toBe(true);
    expect(allowApi.spec.ingress?.flatMap((rule) => rule.ports.map((p) => p.port))).toEqual([3000]);
    expect(allowApi.spec.egress?.flatMap((rule) => rule.ports.map((p) => p.port))).toContain(5432);
  });

  it("routes like Traefik does in docker-compose.yml: the API's paths to the API, the rest to the web", () => {
    type Path = { path: string; pathType: string; backend: { service: { name: string } } };
    const ingress = byKind(base, "Ingress", "user-management") as Manifest & {
      spec: { rules: { http: { paths: Path[] } }[] };
    };
    const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths);
    const toApi = paths.filter((p) => p.backend.service.name === "user-management-api");
    const expected = traefikApiPaths();
    expect(expected.length).toBeGreaterThan(3);
    expect(toApi.map(({ path, pathType }) => ({ path, pathType }))).toEqual(expected);
    expect(paths.filter((p) => p.backend.service.name === "user-management-web")).toEqual([
      expect.objectContaining({ path: "/", pathType: "Prefix" }),
    ]);
    for (const path of paths) {
      expect(base.some((m) => m.kind === "Service" && m.metadata.name === path.backend.service.name)).toBe(
        true,
      );
    }
  });

  it("renders the example overlay: namespace, pinned images, replicas, host with TLS, merged settings", () => {
    for (const manifest of overlay) expect(manifest.metadata.namespace).toBe("user-management");
    expect(overlay.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      base.map((m) => `${m.kind}/${m.metadata.name}`).sort(),
    );
    const images = overlay.flatMap((m) => podContainers(m).map((c) => c.image));
    expect(images.length).toBe(3);
    for (const image of images)
      expect(image).toMatch(/^registry\.example\.com\/user-management-(api|web):1\.0\.0$/);
    expect(byKind<Workload>(overlay, "Deployment", "user-management-api").spec.replicas).toBe(3);

    const ingress = byKind(overlay, "Ingress", "user-management") as Manifest & {
      spec: { rules: { host: string; http: { paths: unknown[] } }[]; tls: { hosts: string[] }[] };
    };
    expect(ingress.spec.rules[0]?.host).toBe("users.example.org");
    // The host was patched in place: the paths are still there.
    expect(ingress.spec.rules[0]?.http.paths).toHaveLength(traefikApiPaths().length + 1);
    expect(ingress.spec.tls[0]?.hosts).toEqual(["users.example.org"]);

    const config = configData(overlay);
    expect(config.PUBLIC_URL).toBe("https://users.example.org");
    // A strategic-merge patch of a ConfigMap changes the keys it names and keeps the others.
    expect(Object.keys(config).sort()).toEqual(Object.keys(configData(base)).sort());
    const hpa = byKind(overlay, "HorizontalPodAutoscaler", "user-management-api") as Manifest & {
      spec: { minReplicas: number; maxReplicas: number; metrics: unknown[] };
    };
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(hpa.spec.metrics).toHaveLength(1);
  });
});
