/**
 * The same answer as promote/status.ts's `environmentStatus`, for big fleets: `rev-list --count`
 * is asked once per distinct (source commit, reference) pair, not twice per cluster — a fleet of
 * 1,000 clusters on a handful of source commits costs a handful of git calls.
 */
import { git } from '../git/git.js';
import type { FleetConfig } from '../model.js';
import { activeFreezes } from '../promote/freeze.js';
import type { BranchHead } from '../promote/heads.js';
import type { ClusterStatus, EnvironmentStatus } from '../promote/status.js';
import { newestOnOneLine, type SourceBranch } from '../promote/source.js';

export async function fleetLag(
  root: string,
  config: FleetConfig,
  branchesOf: (env: string) => SourceBranch[],
  heads: Map<string, BranchHead>,
  head: string | undefined,
  now: Date,
): Promise<EnvironmentStatus[]> {
  const counts = new Map<string, Promise<number | null>>();
  const count = (range: string) => {
    let p = counts.get(range);
    if (!p) {
      p = git(undefined, ['-C', root, 'rev-list', '--count', range]).then(
        (r) => Number(r.stdout.trim()),
        () => null, // unknown commit: a shallow clone, or history rewritten
      );
      counts.set(range, p);
    }
    return p;
  };
  const out: EnvironmentStatus[] = [];
  let reference: EnvironmentStatus['reference'] = head ? { name: 'HEAD', commit: head } : undefined;
  for (const env of config.environments) {
    const clusters: ClusterStatus[] = [];
    for (const b of branchesOf(env.name)) {
      const h = heads.get(b.branch);
      const s: ClusterStatus = { cluster: b.cluster, branch: b.branch, renderedCommit: h?.commit, sourceCommit: h?.sourceCommit };
      if (reference && s.sourceCommit) {
        s.behind = await count(`${s.sourceCommit}..${reference.commit}`);
        s.ahead = await count(`${reference.commit}..${s.sourceCommit}`);
      }
      clusters.push(s);
    }
    out.push({ name: env.name, frozen: activeFreezes(env, now).map((w) => w.reason), reference, clusters });
    const carried = [...new Set(clusters.map((c) => c.sourceCommit).filter((c): c is string => Boolean(c)))];
    const newest = carried.length ? ((await newestOnOneLine(root, carried)) ?? mostCommon(clusters)) : undefined;
    reference = newest ? { name: env.name, commit: newest } : undefined;
  }
  return out;
}

function mostCommon(clusters: ClusterStatus[]): string | undefined {
  const n = new Map<string, number>();
  for (const c of clusters) if (c.sourceCommit) n.set(c.sourceCommit, (n.get(c.sourceCommit) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
