/**
 * kustomize writes every map with sorted keys; a post-patch must not reorder what the tools wrote.
 * Each patched object takes its original's key order back: keys the original had, in its order, then
 * keys the patch added, in kustomize's order. Lists are matched by position.
 */
import type { K8sObject } from '../model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function identity(o: K8sObject): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata.namespace ?? ''}|${o.metadata.name}`;
}

function reorder(patched: unknown, original: unknown): unknown {
  if (Array.isArray(patched)) return Array.isArray(original) ? patched.map((v, i) => reorder(v, original[i])) : patched;
  if (!isObj(patched) || !isObj(original)) return patched;
  const out: Obj = {};
  const put = (k: string) => {
    const v = reorder(patched[k], original[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  };
  for (const k of Object.keys(original)) if (Object.prototype.hasOwnProperty.call(patched, k)) put(k);
  for (const k of Object.keys(patched)) if (!Object.prototype.hasOwnProperty.call(original, k)) put(k);
  return out;
}

/** The patched objects with their originals' key order (objects a patch renamed or added keep kustomize's). */
export function restoreKeyOrder(originals: K8sObject[], patched: K8sObject[]): K8sObject[] {
  const byId = new Map(originals.map((o) => [identity(o), o]));
  return patched.map((p) => {
    const o = byId.get(identity(p));
    return o ? (reorder(p, o) as K8sObject) : p;
  });
}
