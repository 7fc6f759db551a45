/**
 * Profile patch targets judged over the whole fleet, whatever a command selects: a profile patch may
 * target what only some of its clusters render (a Deployment only prod gets), so matching nothing on
 * one cluster is fine as long as it matches on another the profile is on. The run records each
 * outcome here (one object per run, in the render session); what matched on no rendered cluster is
 * decided by rendering the profile's other clusters (fleet/render-fleet.ts), and is an error only
 * when it matches nowhere. Cluster patches belong to one cluster: they stay judged per cluster.
 */
import { formatPos, KilnError } from '../errors.js';
import type { PatchSpec } from '../model.js';

interface Outcome {
  profile: string;
  matched: boolean;
  /** The error of the first cluster it matched nothing on. */
  error?: KilnError;
  clusters: Set<string>;
}

export interface PatchJudge {
  record(profile: string, cluster: string, patch: PatchSpec, error: KilnError | undefined): void;
  /** Profiles with a patch that matched on no cluster recorded so far. */
  pendingProfiles(): Set<string>;
  /** One error per patch that matched on no cluster recorded (naming how many clusters it was judged on). */
  errors(): KilnError[];
}

export function createPatchJudge(): PatchJudge {
  const outcomes = new Map<string, Outcome>();
  const unmatched = () => [...outcomes.values()].filter((o) => !o.matched);
  return {
    record(profile, cluster, patch, error) {
      // one declaration: the same file position (templated targets differ per cluster and still count as one)
      const key = JSON.stringify([profile, patch.source ? formatPos(patch.source) : '', patch.source ? '' : patch.target]);
      let o = outcomes.get(key);
      if (!o) outcomes.set(key, (o = { profile, matched: false, clusters: new Set() }));
      o.clusters.add(cluster);
      if (!error) o.matched = true;
      // report the cluster whose objects suggest a fix (did-you-mean) over one that has nothing close
      else if (!o.error || (!o.error.message.includes('did you mean') && error.message.includes('did you mean'))) o.error = error;
    },
    pendingProfiles: () => new Set(unmatched().map((o) => o.profile)),
    errors: () =>
      unmatched().map((o) => {
        const e = o.error!;
        const n = o.clusters.size;
        return n > 1 ? new KilnError(`${e.message}, nor on the ${n - 1} other cluster(s) profile "${o.profile}" is on`, { pos: e.pos, field: e.field, hint: e.hint }) : e;
      }),
  };
}
