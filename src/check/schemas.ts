/**
 * Where object schemas come from: Kubernetes' own OpenAPI v3, one compact set per minor (built by
 * scripts/k8s-openapi.mjs at setup into the tools cache), and CustomResourceDefinitions — those the
 * cluster's own render holds and those of the fleet's `spec.checks.schemaDir`.
 */
import { jsonText } from '../manifests/json-text.js';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KilnError } from '../errors.js';
import { parseK8sYaml } from '../manifests/parse.js';
import { minorOf } from './deprecations.js';
import type { Defs, SchemaNode } from './structural.js';

export interface SchemaSet {
  /** `1.31` */
  minor: string;
  /** The Kubernetes release it was taken from, e.g. `v1.31.14`. */
  kubernetes: string;
  /** Content id of the set's file (part of the persistent check cache's key). */
  id: string;
  /** `apps/v1/Deployment` → definition name. */
  gvk: Record<string, string>;
  defs: Defs;
}

/** KILN_K8S_OPENAPI_DIR, else <tools dir>/k8s-openapi (where `npm run setup` puts them). */
export function schemaSetsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KILN_K8S_OPENAPI_DIR) return path.resolve(env.KILN_K8S_OPENAPI_DIR);
  return path.join(path.resolve(env.KILN_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'kiln-tools')), 'k8s-openapi');
}

export interface SchemaSets {
  /** Minors available, ascending (`1.28` … `1.37`). */
  minors: string[];
  /** The set for a cluster's kubeVersion (its minor's), or undefined when outside the range. */
  forVersion(kubeVersion: string): Promise<SchemaSet | undefined>;
}

const cmpMinor = (a: string, b: string) => {
  const [x, y] = [minorOf(a)!, minorOf(b)!];
  return x[0] - y[0] || x[1] - y[1];
};

export async function openSchemaSets(dir: string): Promise<SchemaSets> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const minors = names.filter((n) => /^\d+\.\d+\.json$/.test(n)).map((n) => n.slice(0, -5)).sort(cmpMinor);
  const loaded = new Map<string, Promise<SchemaSet>>();
  return {
    minors,
    forVersion(kubeVersion) {
      const m = minorOf(kubeVersion);
      const minor = m && `${m[0]}.${m[1]}`;
      if (!minor || !minors.includes(minor)) return Promise.resolve(undefined);
      let p = loaded.get(minor);
      if (!p) {
        p = readFile(path.join(dir, `${minor}.json`), 'utf8').then((t) => {
          const j = JSON.parse(t) as Omit<SchemaSet, 'minor' | 'id'>;
          return { minor, kubernetes: j.kubernetes, id: createHash('sha256').update(t).digest('hex'), gvk: j.gvk, defs: j.defs };
        });
        loaded.set(minor, p);
      }
      return p;
    },
  };
}

/** A custom resource kind's schema, from one CRD version. */
export interface CrdSchema {
  /** Content id of the CRD the schema came from (part of the check cache key). */
  id: string;
  schema: SchemaNode;
  source: string;
}

/** `group/version/kind` → schema, for every served version of the CRDs among `objects`. */
export function crdSchemas(objects: Array<{ value: unknown; source: string; id: string }>, into = new Map<string, CrdSchema>()): Map<string, CrdSchema> {
  for (const { value, source, id } of objects) {
    const o = value as { apiVersion?: string; kind?: string; spec?: Record<string, unknown> } | null;
    if (!o || o.kind !== 'CustomResourceDefinition' || o.apiVersion !== 'apiextensions.k8s.io/v1') continue;
    const spec = o.spec ?? {};
    const kind = (spec.names as { kind?: string } | undefined)?.kind;
    const group = spec.group as string | undefined;
    if (!kind || !group) continue;
    for (const v of (spec.versions as Array<Record<string, unknown>> | undefined) ?? []) {
      const root = (v.schema as { openAPIV3Schema?: SchemaNode } | undefined)?.openAPIV3Schema;
      if (!root || v.served === false) continue;
      // metadata is always ObjectMeta (a CRD may only narrow name); apiVersion/kind come from the envelope
      const { metadata: _m, ...properties } = root.properties ?? {};
      into.set(`${group}/${String(v.name)}/${kind}`, { id, source, schema: { ...root, properties, 'x-kubernetes-embedded-resource': true } });
    }
  }
  return into;
}

/** The CRDs under the fleet's schema dir (YAML or JSON files, any depth). */
export async function schemaDirCrds(root: string, dir: string): Promise<Map<string, CrdSchema>> {
  const abs = path.resolve(root, dir);
  let entries: string[];
  try {
    entries = (await readdir(abs, { recursive: true })).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch {
    throw new KilnError(`spec.checks.schemaDir "${dir}" is not a directory`, { hint: 'point it at a directory of CustomResourceDefinition YAML files, relative to kiln.yaml' });
  }
  const objects: Array<{ value: unknown; source: string; id: string }> = [];
  for (const f of entries) {
    const text = await readFile(path.join(abs, f), 'utf8');
    const source = path.posix.join(dir, f.split(path.sep).join('/'));
    for (const value of parseK8sYaml(text, { source })) {
      objects.push({ value, source, id: createHash('sha1').update(jsonText(value)).digest('hex') });
    }
  }
  return crdSchemas(objects);
}
