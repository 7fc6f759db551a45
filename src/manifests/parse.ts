/** Parse tool output (multi-document YAML or JSON) into Kubernetes objects. */
import { parseAllDocuments } from 'yaml';
import { KilnError } from '../errors.js';
import type { K8sObject } from '../model.js';

/**
 * YAML 1.1, as Kubernetes' own decoder reads it: `on`/`yes` are booleans, `0644` is octal. Parsing
 * the way the cluster will keeps the written files meaning what the API server would have seen.
 */
export const K8S_YAML = { version: '1.1', merge: true, uniqueKeys: false, maxAliasCount: 1000, prettyErrors: false } as const;

export interface ParseOptions {
  /** Named in errors: a file path or "helm output". */
  source: string;
}

export function parseManifests(text: string, opts: ParseOptions): K8sObject[] {
  const docs = parseAllDocuments(text, K8S_YAML);
  const out: K8sObject[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      throw new KilnError(`invalid YAML in ${opts.source}${line ? ` at line ${line}` : ''}: ${err.message.split('\n')[0]}`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // the yaml library refuses alias bombs (and alias cycles) with a plain Error: the input's fault, not ours
      throw new KilnError(`invalid YAML in ${opts.source}: ${(e as Error).message}`, { hint: 'expand YAML aliases in the source; rendered output may use at most 1000' });
    }
    pushObjects(value, out, opts.source);
  }
  return out;
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
