/**
 * One file per object, named from its identity with only [a-z0-9.-], unique per
 * (group, kind, namespace, name) whatever the name holds. Lossy or colliding names get a hash
 * suffix of the full identity, so the mapping is stable and independent of object order.
 */
import { createHash } from 'node:crypto';
import type { K8sObject } from '../model.js';
import { idOf, keyOf } from './keys.js';

const MAX_PART = 100;

function hash8(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

/** Lower-case, other characters to '-', no leading dots; `exact` tells whether nothing was lost. */
function safePart(raw: string): { text: string; exact: boolean } {
  let text = raw.toLowerCase().replace(/[^a-z0-9.-]+/g, '-');
  text = text.replace(/^[.-]+/, '').replace(/\.{2,}/g, '.');
  if (text.length > MAX_PART) text = text.slice(0, MAX_PART);
  if (!text) text = 'x';
  return { text, exact: text === raw };
}

/** The readable base name: `[namespace--]kind--name` (+ `.group` on the kind when it is not core). */
export function baseFileName(o: K8sObject): { base: string; exact: boolean } {
  const id = idOf(o);
  const parts = [
    id.namespace ? safePart(id.namespace) : undefined,
    safePart(id.kind),
    safePart(id.name),
  ].filter((p): p is { text: string; exact: boolean } => p !== undefined);
  // A kind is lower-cased on purpose; only the name and namespace count as lossy.
  const exact = parts.every((p, i) => p.exact || i === parts.length - 2);
  return { base: parts.map((p) => p.text).join('--'), exact };
}

/** Assign file names to a set of objects (one directory's worth). Returns key → file name. */
export function assignFileNames(objects: K8sObject[]): Map<string, string> {
  const wanted = new Map<string, { key: string; base: string; exact: boolean }[]>();
  for (const o of objects) {
    const { base, exact } = baseFileName(o);
    const list = wanted.get(base) ?? [];
    list.push({ key: keyOf(o), base, exact });
    wanted.set(base, list);
  }
  const names = new Map<string, string>();
  for (const [base, list] of wanted) {
    for (const item of list) {
      const needsHash = !item.exact || list.length > 1;
      names.set(item.key, needsHash ? `${base}-${hash8(item.key)}.yaml` : `${base}.yaml`);
    }
  }
  return names;
}
