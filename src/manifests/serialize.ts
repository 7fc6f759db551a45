/** Deterministic YAML for one object, safe for Kubernetes' YAML 1.1 decoder. */
import { stringify } from 'yaml';
import type { K8sObject } from '../model.js';

const HEAD = ['apiVersion', 'kind', 'metadata'];

/** apiVersion, kind, metadata first (as kubectl and every renderer print them); the rest as rendered. */
export function orderTopLevel(o: K8sObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of HEAD) if (k in o) out[k] = o[k];
  for (const [k, v] of Object.entries(o)) if (!HEAD.includes(k)) out[k] = v;
  return out;
}

/**
 * YAML 1.1 output quotes strings like `on`, `yes`, `0644` that a 1.1 reader would turn into
 * booleans or octal numbers; no line folding so long strings stay diffable; no anchors.
 */
export function serializeObject(o: K8sObject): string {
  return stringify(orderTopLevel(o), {
    version: '1.1',
    lineWidth: 0,
    minContentWidth: 0,
    aliasDuplicateObjects: false,
    indentSeq: true,
    singleQuote: false,
  });
}

export function serializeData(value: unknown): string {
  return stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
