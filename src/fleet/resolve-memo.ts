/**
 * One profile templated for many clusters. The template subset has no functions (template.ts), so a
 * resolved profile depends only on the values its references read: clusters that read the same
 * values share one result. A fleet of 1,000 clusters × 5 profiles templated 5,000 profiles, most of
 * them identical to a neighbour's (a profile reading only `.Cluster.environment` has three results).
 *
 * A cluster whose template or path fails is resolved on its own each time (its errors name it), and
 * so is a profile with a string that does not parse, or a value read that is not plain data. Shared
 * results are frozen: a change to one cluster's plan must not reach the clusters it shares with.
 */
import type { Cluster, Profile, ResolvedProfile } from '../model.js';
import { clusterScope, readRef, templateRefs, type TemplateRef, type TemplateScope } from './template.js';

export type ResolveProfile = (profile: Profile, cluster: Cluster) => ResolvedProfile;

export function sharedResolver(resolve: ResolveProfile): ResolveProfile {
  const refsOf = new Map<Profile, TemplateRef[] | null>();
  const results = new Map<Profile, Map<string, ResolvedProfile>>();
  return (profile, cluster) => {
    let refs = refsOf.get(profile);
    if (refs === undefined) {
      // exactly what resolveProfile templates
      refs = templateRefs([profile.spec.components, profile.spec.namespace, profile.spec.patches]) ?? null;
      refsOf.set(profile, refs);
    }
    const key = refs ? valuesRead(refs, clusterScope(cluster)) : undefined;
    if (key === undefined) return resolve(profile, cluster);
    let byValues = results.get(profile);
    if (!byValues) results.set(profile, (byValues = new Map()));
    let r = byValues.get(key);
    if (!r) {
      r = frozen(resolve(profile, cluster)); // throws for this cluster alone: nothing kept
      byValues.set(key, r);
    }
    return r;
  };
}

/** The values `refs` read, as text that tells any two apart (type included); undefined when one is missing or not plain data. */
export function valuesRead(refs: TemplateRef[], scope: TemplateScope): string | undefined {
  const parts: string[] = [];
  for (const ref of refs) {
    const v = readRef(ref, scope);
    const t = v === undefined ? undefined : encode(v);
    if (t === undefined) return undefined;
    parts.push(t);
  }
  return parts.join('\n');
}

function encode(v: unknown): string | undefined {
  if (typeof v === 'string') return JSON.stringify(v);
  // String(NaN), String(Infinity) and -0 stay apart from null and 0
  if (typeof v === 'number') return Object.is(v, -0) ? 'n-0' : `n${String(v)}`;
  if (typeof v === 'boolean' || v === null) return String(v);
  if (Array.isArray(v)) {
    const items = v.map(encode);
    return items.every((x) => x !== undefined) ? `[${items.join(',')}]` : undefined;
  }
  if (typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    const items: string[] = [];
    for (const [k, x] of Object.entries(v)) {
      const t = encode(x);
      if (t === undefined) return undefined;
      items.push(`${JSON.stringify(k)}:${t}`);
    }
    return `{${items.join(',')}}`;
  }
  return undefined; // undefined, a bigint, a Date, a function: not shared
}

/** The profile's own data frozen (not its doc, which only locates positions). */
function frozen(p: ResolvedProfile): ResolvedProfile {
  for (const c of p.components) deepFreeze(c);
  for (const patch of p.patches) {
    deepFreeze(patch.patch);
    if (patch.target) deepFreeze(patch.target);
    Object.freeze(patch);
  }
  Object.freeze(p.components);
  Object.freeze(p.patches);
  return Object.freeze(p);
}

function deepFreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}
