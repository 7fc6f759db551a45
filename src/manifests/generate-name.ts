/**
 * Objects with `metadata.generateName` and no name (Argo CD hook Jobs, `kubectl create` style
 * manifests): the API server picks the name when the object is created, so kiln keeps them exactly
 * as rendered and identifies them by generateName plus a short hash of their content. The hash is
 * of the object as written, so a render and the file read back from the branch agree, and two such
 * objects with one generateName stay apart.
 */
import { jsonText } from './json-text.js';
import { createHash } from 'node:crypto';
import type { K8sObject } from '../model.js';

/** While kustomize patches them (it requires metadata.name), such objects carry this marker and their kiln name. */
export const GENERATED_MARKER = 'kiln.dev/internal-generate-name';

const names = new WeakMap<object, string>();

export function usesGenerateName(o: K8sObject): boolean {
  return (typeof o.metadata.name !== 'string' || o.metadata.name === '') && typeof o.metadata.generateName === 'string' && o.metadata.generateName !== '';
}

/** `upgrade-sql-schema-1a2b3c4d` for `generateName: upgrade-sql-schema` (or `upgrade-sql-schema-`). */
export function generatedName(o: K8sObject): string {
  let n = names.get(o);
  if (n === undefined) {
    const hash = createHash('sha256').update(canonicalJson(o)).digest('hex').slice(0, 8);
    n = `${String(o.metadata.generateName).replace(/-+$/, '')}-${hash}`;
    names.set(o, n);
  }
  return n;
}

/** For kustomize: the kiln name as metadata.name and a marker, so patches can target the object. */
export function withTemporaryName(o: K8sObject): K8sObject {
  if (!usesGenerateName(o)) return o;
  return { ...o, metadata: { ...o.metadata, name: generatedName(o), annotations: { ...(o.metadata.annotations ?? {}), [GENERATED_MARKER]: 'true' } } };
}

/** Undo withTemporaryName after kustomize: no name, no marker, as rendered (plus what the patches changed). */
export function withoutTemporaryName(o: K8sObject): K8sObject {
  const annotations = o.metadata.annotations;
  if (!annotations || annotations[GENERATED_MARKER] === undefined) return o;
  const { [GENERATED_MARKER]: _, ...rest } = annotations;
  const { name: _name, annotations: _a, ...metadata } = o.metadata;
  return { ...o, metadata: { ...metadata, ...(Object.keys(rest).length ? { annotations: rest } : {}) } };
}

/** JSON with map keys sorted: the same content gives the same text whatever order a tool wrote the keys in. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return jsonText(v);
}
