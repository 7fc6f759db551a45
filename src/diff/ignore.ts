/**
 * `--ignore` field patterns: changes under a matching field are not a diff.
 *
 *   [Kind:]segment(.segment)*
 *
 * A segment is a map key or list index; `*` inside a segment matches any characters of one key
 * (`checksum/*`), a segment `*` matches any one key or index, `**` any number of segments (none
 * too). Keys containing dots go in brackets: `metadata.labels[helm.sh/chart]`. An optional `Kind:`
 * prefix limits the pattern to objects of that kind: `Deployment:spec.replicas`.
 */
import { KilnError } from '../errors.js';
import type { K8sObject } from '../model.js';

/** Helm's chart label and `checksum/*` annotations churn on every chart bump without a real change. */
export const DEFAULT_IGNORES = ['**.labels[helm.sh/chart]', '**.annotations[checksum/*]'];

type Seg = { any: true } | { re: RegExp };

export interface IgnoreRule {
  pattern: string;
  kind?: string;
  segs: Seg[];
}

const globRe = (s: string) => new RegExp('^' + s.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');

export function parseIgnore(pattern: string): IgnoreRule {
  return parseIgnoreAs(pattern, '--ignore');
}

/** `what` names where the pattern came from in errors (`--ignore`, `diffIgnore`). */
export function parseIgnoreAs(pattern: string, what: string): IgnoreRule {
  const bad = (why: string) => new KilnError(`${what} "${pattern}": ${why}`, { hint: 'e.g. metadata.labels[helm.sh/chart], **.annotations[checksum/*], Deployment:spec.replicas' });
  let rest = pattern.trim();
  let kind: string | undefined;
  const k = /^([A-Za-z][A-Za-z0-9]*):(?!\/)/.exec(rest);
  if (k) {
    kind = k[1];
    rest = rest.slice(k[0].length);
  }
  const segs: Seg[] = [];
  let i = 0;
  while (i < rest.length) {
    let raw: string;
    if (rest[i] === '[') {
      const end = rest.indexOf(']', i);
      if (end < 0) throw bad('unclosed [');
      raw = rest.slice(i + 1, end);
      i = end + 1;
    } else {
      let end = i;
      while (end < rest.length && rest[end] !== '.' && rest[end] !== '[') end++;
      raw = rest.slice(i, end);
      i = end;
      if (!raw) throw bad('empty segment');
    }
    segs.push(raw === '**' ? { any: true } : { re: globRe(raw) });
    if (rest[i] === '.') {
      i++;
      if (i >= rest.length) throw bad('ends with a dot');
    }
  }
  if (!segs.length) throw bad('empty pattern');
  return { pattern, kind, segs };
}

/** A profile's `diffIgnore` patterns, by profile name (invalid ones were refused when the fleet loaded). */
export function profileIgnores(profiles: ReadonlyArray<{ name: string; spec: Record<string, unknown> }>): Map<string, IgnoreRule[]> {
  const out = new Map<string, IgnoreRule[]>();
  for (const p of profiles) {
    const list = p.spec.diffIgnore;
    if (Array.isArray(list) && list.length) out.set(p.name, list.map((s) => parseIgnoreAs(String(s), 'diffIgnore')));
  }
  return out;
}

/** A copy of `o` without the fields any rule matches. */
export function applyIgnores(o: K8sObject, rules: readonly IgnoreRule[]): K8sObject {
  let out: unknown = o;
  for (const r of rules) if (!r.kind || r.kind === o.kind) out = strip(out, r.segs, 0);
  return out as K8sObject;
}

function strip(value: unknown, segs: Seg[], i: number): unknown {
  const seg = segs[i];
  if (!seg || value === null || typeof value !== 'object') return value;
  const last = i === segs.length - 1;
  if ('any' in seg) {
    // `**` matches nothing here (go on with the next segment) or one more level (stay on it)
    const here = last ? value : strip(value, segs, i + 1);
    return mapChildren(here, (child) => strip(child, segs, i));
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((v, idx) => {
      if (!seg.re.test(String(idx))) out.push(v);
      else if (!last) out.push(strip(v, segs, i + 1));
    });
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!seg.re.test(key)) out[key] = v;
    else if (!last) out[key] = strip(v, segs, i + 1);
  }
  return out;
}

function mapChildren(value: unknown, fn: (v: unknown) => unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(fn);
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fn(v)]));
}
