/**
 * Kustomize skips a targeted patch whose target matches nothing, without a word: a typo in a
 * target silently leaves production unpatched. kiln matches targets itself first (Kustomize's
 * rules: group, version, kind, name and namespace as anchored regexes, an empty one matching anything, label and
 * annotation selectors in Kubernetes syntax) and refuses a patch that matches nothing, unless the
 * patch says `optional: true`.
 */
import { KilnError, KilnErrors } from '../errors.js';
import { closest } from '../config/fields.js';
import { idOf } from '../manifests/keys.js';
import type { K8sObject, PatchSpec, PatchTarget } from '../model.js';

type Requirement = { key: string; op: 'in' | 'notin' | 'exists' | '!exists'; values: string[] };

/** A Kubernetes label selector string (`a=b,c!=d,e in (x,y),!f,g`), or null when it uses syntax kiln does not judge. */
export function parseSelector(s: string): Requirement[] | null {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: Requirement[] = [];
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^!\s*([^\s!=(),]+)$/.exec(p))) out.push({ key: m[1]!, op: '!exists', values: [] });
    else if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p))) out.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) });
    else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s,()]*)$/.exec(p))) out.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
    else if ((m = /^([^\s!=(),<>]+)$/.exec(p))) out.push({ key: m[1]!, op: 'exists', values: [] });
    else return null;
  }
  return out;
}

export function selectorMatches(sel: string | undefined, map: Record<string, string> | undefined): boolean {
  if (!sel) return true;
  const reqs = parseSelector(sel);
  if (!reqs) return true; // not judged here: kustomize decides
  const m = map ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(m, r.key);
    if (r.op === 'exists') return has;
    if (r.op === '!exists') return !has;
    if (r.op === 'in') return has && r.values.includes(m[r.key]!);
    return !has || !r.values.includes(m[r.key]!);
  });
}

function regexMatches(pattern: string | undefined, value: string): boolean {
  if (!pattern) return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return true; // validate reports a broken regex; kustomize decides here
  }
}

type Field = 'group' | 'version' | 'kind' | 'namespace' | 'name' | 'labelSelector' | 'annotationSelector';
const FIELDS: Field[] = ['group', 'version', 'kind', 'namespace', 'name', 'labelSelector', 'annotationSelector'];

function fieldMatches(f: Field, t: PatchTarget, o: K8sObject): boolean {
  const id = idOf(o);
  switch (f) {
    // Kustomize reads each as an anchored regex, and an empty one as no constraint (`group: ""` is not the core group)
    case 'group':
      return regexMatches(t.group, id.group);
    case 'version':
      return regexMatches(t.version, id.version);
    case 'kind':
      return regexMatches(t.kind, id.kind);
    case 'namespace':
      return regexMatches(t.namespace, id.namespace);
    case 'name':
      return regexMatches(t.name, id.name);
    case 'labelSelector':
      return selectorMatches(t.labelSelector, o.metadata.labels);
    case 'annotationSelector':
      return selectorMatches(t.annotationSelector, o.metadata.annotations);
  }
}

/** A target that selects by something (an empty one, or `target: {}`, is no target: kustomize takes the patch's own kind and name). */
export function targetSet(t: PatchTarget | undefined): t is PatchTarget {
  return t !== undefined && FIELDS.some((f) => t[f] !== undefined && t[f] !== '');
}

export function targetMatches(t: PatchTarget, o: K8sObject): boolean {
  return FIELDS.every((f) => fieldMatches(f, t, o));
}

/** `{kind: Deployment, name: web}` as written in the profile. */
function describeTarget(t: PatchTarget): string {
  return `{${FIELDS.filter((f) => t[f] !== undefined && t[f] !== '').map((f) => `${f}: ${t[f]}`).join(', ')}}`;
}

/** The first field (in Kustomize's order) that rules out every object, with the closest value it could have meant. */
function suggestion(t: PatchTarget, objects: K8sObject[]): string {
  for (const f of FIELDS) {
    const want = t[f];
    if (want === undefined || want === '') continue;
    const others = FIELDS.filter((x) => x !== f);
    const near = objects.filter((o) => others.every((x) => fieldMatches(x, t, o)));
    if (near.length === 0 || near.some((o) => fieldMatches(f, t, o))) continue;
    const have = new Set<string>();
    for (const o of near) {
      const id = idOf(o);
      if (f === 'group' || f === 'version' || f === 'kind' || f === 'namespace' || f === 'name') have.add(id[f]);
    }
    const near1 = closest(want, have);
    if (near1 !== undefined) return `did you mean ${f}: ${JSON.stringify(near1)}?`;
    const shown = [...have].filter(Boolean).sort().slice(0, 5);
    return shown.length ? `no object has ${f} ${JSON.stringify(want)}; there are: ${shown.join(', ')}` : `no object has ${f} ${JSON.stringify(want)}`;
  }
  return '';
}

/** Throws for the targeted, non-optional patches that match none of `objects`, each named by file:line. */
export function checkTargets(objects: K8sObject[], patches: PatchSpec[], what: string): void {
  const errors = judgeTargets(objects, patches, what).flatMap((j) => (j.error ? [j.error] : []));
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new KilnErrors(errors);
}

/** Each targeted, non-optional patch with the error it earns here (undefined: it matches something). */
export function judgeTargets(objects: K8sObject[], patches: PatchSpec[], what: string): Array<{ patch: PatchSpec; error?: KilnError }> {
  const out: Array<{ patch: PatchSpec; error?: KilnError }> = [];
  for (const p of patches) {
    const t = p.target;
    if (p.optional || !targetSet(t)) continue;
    if (objects.some((o) => targetMatches(t, o))) {
      out.push({ patch: p });
      continue;
    }
    const dym = suggestion(t, objects);
    out.push({
      patch: p,
      error: new KilnError(`patch target ${describeTarget(t)} matches no object rendered for ${what}${dym ? ` (${dym})` : ''}`, {
        pos: p.source,
        field: 'target',
        hint: 'fix the target, or set optional: true on the patch if matching nothing here is expected',
      }),
    });
  }
  return out;
}
