/** Parse tool output (multi-document YAML or JSON) into Kubernetes objects. */
import { parseAllDocuments } from 'yaml';
import { KilnError } from '../errors.js';
import type { K8sObject } from '../model.js';
import { toK8sValue } from './k8s-yaml.js';

/**
 * Only the document structure comes from the `yaml` library (every scalar a string: the schema must
 * not resolve anything); k8s-yaml.ts gives each value the meaning Kubernetes' own reader gives it.
 */
export const K8S_PARSE = { version: '1.1', schema: 'failsafe', merge: false, uniqueKeys: false, prettyErrors: false } as const;

/** How many alias dereferences a document may hold; far above real output, far below a bomb. */
export const MAX_OUTPUT_ALIASES = 1000;

export interface ParseOptions {
  /** Named in errors: a file path or "helm output". */
  source: string;
}

/** Every document of `text` as plain values read the way Kubernetes reads YAML (empty ones as null). */
export function parseK8sYaml(text: string, opts: ParseOptions): unknown[] {
  const docs = parseAllDocuments(text, K8S_PARSE);
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((doc) => {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new KilnError(`invalid YAML in ${opts.source}${line ? ` at line ${line}` : ''}: ${err.message.split('\n')[0]}`);
    }
    return toK8sValue(doc.contents, doc, { source: opts.source, maxAliases: MAX_OUTPUT_ALIASES, exactInts: true });
  });
}

export function parseManifests(text: string, opts: ParseOptions): K8sObject[] {
  return manifestsOf({ stdout: text }, opts);
}

/**
 * A tool's output as objects: from the documents' values when a render worker gave them (read by the
 * reader parseK8sYaml follows, exactly: render-worker.ts), else parsed from the text.
 */
export function manifestsOf(out: { stdout: string; values?: unknown[] }, opts: ParseOptions): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const value of out.values ?? parseK8sYaml(out.stdout, opts)) pushObjects(value, objects, opts.source);
  return objects;
}

/** Accept an object, a `kind: *List` with items, or an array of those (jsonnet's shapes too). */
export function pushObjects(value: unknown, out: K8sObject[], source: string): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) pushObjects(v, out, source);
    return;
  }
  if (typeof value !== 'object') {
    throw new KilnError(`${source}: expected Kubernetes objects, found a ${typeof value}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items) && o.apiVersion === 'v1') {
    for (const item of o.items) pushObjects(item, out, source);
    return;
  }
  out.push(asK8sObject(o, source));
}

export function asK8sObject(o: Record<string, unknown>, source: string): K8sObject {
  const meta = o.metadata as Record<string, unknown> | undefined;
  const missing: string[] = [];
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) missing.push('apiVersion');
  if (typeof o.kind !== 'string' || !o.kind) missing.push('kind');
  const named = meta && typeof meta === 'object' && ((typeof meta.name === 'string' && meta.name) || (typeof meta.generateName === 'string' && meta.generateName));
  if (!named) {
    // generateName objects are kept (Argo CD creates them as hooks); whether the applier can take them is hooks.ts's call
    missing.push('metadata.name');
  }
  if (missing.length) {
    const what = typeof o.kind === 'string' ? `a ${o.kind}` : 'a document';
    const name = meta && typeof meta.name === 'string' ? ` named ${meta.name}` : '';
    throw new KilnError(`${source}: ${what}${name} has no ${missing.join(', ')}`, {
      hint: 'every rendered document must be a Kubernetes object with apiVersion, kind and metadata.name (or metadata.generateName)',
    });
  }
  return o as K8sObject;
}
