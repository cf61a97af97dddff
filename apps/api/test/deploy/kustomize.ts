/**
 * The part of `kustomize build` our manifests use, in TypeScript: there is no kustomize binary here and
 * no npm package provides one. Supported, and nothing else (an unknown kustomization field fails the
 * render, so a manifest cannot quietly rely on what this does not do):
 * resources (files and folders), namespace, labels (with includeSelectors/includeTemplates), images,
 * replicas, and patches, either strategic-merge files (maps merge; lists are replaced, as Kubernetes does
 * for lists without a merge key) or inline JSON 6902 patches with add/replace/remove.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<string, unknown>;
} & Record<string, unknown>;

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
}

const SUPPORTED = new Set([
  "apiVersion",
  "kind",
  "namespace",
  "resources",
  "labels",
  "images",
  "replicas",
  "patches",
]);

export function readYamlDocuments(path: string): Manifest[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
      return document.toJS() as Manifest | null;
    })
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export function kustomizeBuild(folder: string): Manifest[] {
  const [kustomization] = readYamlDocuments(join(folder, "kustomization.yaml")) as unknown as Kustomization[];
  if (!kustomization) throw new Error(`${folder}/kustomization.yaml is empty`);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) throw new Error(`${folder}: kustomization field "${key}" is not supported here`);
  }
  let manifests: Manifest[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(folder, resource);
    manifests.push(...(statSync(path).isDirectory() ? kustomizeBuild(path) : readYamlDocuments(path)));
  }
  for (const patch of kustomization.patches ?? []) {
    if (patch.path !== undefined) {
      for (const document of readYamlDocuments(join(folder, patch.path))) {
        const target = find(manifests, document.kind, document.metadata.name);
        manifests = manifests.map((m) => (m === target ? (strategicMerge(m, document) as Manifest) : m));
      }
    } else if (patch.patch !== undefined && patch.target) {
      const target = find(manifests, patch.target.kind, patch.target.name);
      const operations = readOperations(patch.patch);
      manifests = manifests.map((m) => (m === target ? applyJsonPatch(m, operations) : m));
    } else {
      throw new Error(`${folder}: a patch needs a path, or a patch and a target`);
    }
  }
  for (const manifest of manifests) {
    if (kustomization.namespace !== undefined) manifest.metadata.namespace = kustomization.namespace;
    for (const { pairs, includeSelectors = false, includeTemplates = false } of kustomization.labels ?? []) {
      manifest.metadata.labels = { ...manifest.metadata.labels, ...pairs };
      const spec = manifest.spec as Record<string, Record<string, Record<string, unknown>>> | undefined;
      const template = spec?.template;
      if (includeTemplates && template) {
        const metadata = (template.metadata ?? {}) as { labels?: Record<string, string> };
        template.metadata = { ...metadata, labels: { ...metadata.labels, ...pairs } };
      }
      if (includeSelectors) throw new Error("labels with includeSelectors are not supported here");
    }
    for (const container of podContainers(manifest)) {
      const [name, tag] = splitImage(container.image);
      const rule = kustomization.images?.find((image) => image.name === name);
      if (rule) container.image = `${rule.newName ?? name}:${rule.newTag ?? tag ?? "latest"}`;
    }
    const scalable = ["Deployment", "StatefulSet", "ReplicaSet"].includes(manifest.kind);
    const replicas = kustomization.replicas?.find((rule) => scalable && rule.name === manifest.metadata.name);
    if (replicas) (manifest.spec as { replicas: number }).replicas = replicas.count;
  }
  return manifests;
}

/** Containers and init containers of a Deployment's or Job's pod template. */
export function podContainers(manifest: Manifest): { name: string; image: string }[] {
  const spec = (manifest.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template
    ?.spec;
  if (!spec) return [];
  return [...((spec.initContainers as []) ?? []), ...((spec.containers as []) ?? [])];
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(":");
  return at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

function find(manifests: Manifest[], kind: string | undefined, name: string | undefined): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`patch target ${kind}/${name} matched ${found.length} resources`);
  return found[0] as Manifest;
}

function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObject(base) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      merged[key] = value === null ? undefined : strategicMerge(base[key], value);
    }
    return merged;
  }
  return structuredClone(patch);
}

interface Operation {
  op: "add" | "replace" | "remove";
  path: string;
  value?: unknown;
}

function readOperations(text: string): Operation[] {
  const [document] = parseAllDocuments(text);
  const operations = document?.toJS() as Operation[] | undefined;
  if (!Array.isArray(operations)) throw new Error("a JSON 6902 patch is a list of operations");
  return operations;
}

function applyJsonPatch(manifest: Manifest, operations: Operation[]): Manifest {
  const result = structuredClone(manifest);
  for (const { op, path, value } of operations) {
    const keys = path
      .split("/")
      .slice(1)
      .map((key) => key.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = keys.pop();
    if (last === undefined) throw new Error(`bad patch path ${path}`);
    let parent: unknown = result;
    for (const key of keys) {
      parent = (parent as Record<string, unknown>)[key];
      if (parent === undefined) throw new Error(`patch path ${path} does not exist`);
    }
    const container = parent as Record<string, unknown>;
    if (op !== "add" && !(last in container)) throw new Error(`patch path ${path} does not exist`);
    if (op === "remove") {
      if (Array.isArray(container)) container.splice(Number(last), 1);
      else delete container[last];
    } else if (op === "add" && Array.isArray(container)) {
      container.splice(last === "-" ? container.length : Number(last), 0, value);
    } else if (op === "add" || op === "replace") {
      container[last] = value;
    } else {
      throw new Error(`patch operation ${op as string} is not supported here`);
    }
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
