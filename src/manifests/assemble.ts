/** Combine profiles' outputs for one cluster: duplicates, tiers, deterministic order. */
import { KilnError } from '../errors.js';
import type { K8sObject, Warning } from '../model.js';
import { describeObject, keyOf } from './keys.js';

export interface ProfileObjects {
  profile: string;
  tier: number;
  objects: K8sObject[];
}

/** One profile must not emit the same object twice (e.g. a chart and a manifests component). */
export function checkNoDuplicates(objects: K8sObject[], what: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const k = keyOf(o);
    if (seen.has(k)) {
      throw new KilnError(`${what} renders ${describeObject(o)} more than once`, {
        hint: 'remove one of the components producing it, or rename it with a patch',
      });
    }
    seen.add(k);
  }
}

/**
 * Sveltos-style tiers: when two profiles render the same object for a cluster, the lower tier wins
 * with a warning; equal tiers are an error naming both profiles, since neither choice is safe.
 */
export function resolveTiers(outputs: ProfileObjects[], cluster: string): { outputs: ProfileObjects[]; warnings: Warning[] } {
  const owner = new Map<string, ProfileObjects>();
  const warnings: Warning[] = [];
  const dropped = new Map<ProfileObjects, Set<string>>();
  for (const po of outputs) {
    for (const o of po.objects) {
      const k = keyOf(o);
      const prev = owner.get(k);
      if (!prev) {
        owner.set(k, po);
        continue;
      }
      if (prev.tier === po.tier) {
        throw new KilnError(
          `cluster "${cluster}": profiles "${prev.profile}" and "${po.profile}" both render ${describeObject(o)} with tier ${po.tier}`,
          { hint: 'give one profile a lower tier to let it win, or stop one of them from rendering the object' },
        );
      }
      const [winner, loser] = prev.tier < po.tier ? [prev, po] : [po, prev];
      owner.set(k, winner);
      addTo(dropped, loser, k);
      warnings.push({
        message: `cluster "${cluster}": ${describeObject(o)} is rendered by profiles "${prev.profile}" (tier ${prev.tier}) and "${po.profile}" (tier ${po.tier}); "${winner.profile}" wins`,
      });
    }
  }
  const result = outputs.map((po) => {
    const drop = dropped.get(po);
    return drop ? { ...po, objects: po.objects.filter((o) => !drop.has(keyOf(o)) || owner.get(keyOf(o)) === po) } : po;
  });
  return { outputs: result, warnings };
}

function addTo(m: Map<ProfileObjects, Set<string>>, po: ProfileObjects, k: string): void {
  const s = m.get(po) ?? new Set<string>();
  s.add(k);
  m.set(po, s);
}
