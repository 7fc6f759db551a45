/** Where each environment stands: the source commit each cluster runs and how far it trails the previous environment. */
import { git } from '../git/git.js';
import type { FleetConfig } from '../model.js';
import { activeFreezes } from './freeze.js';
import type { BranchHead } from './heads.js';
import { newestOnOneLine, type SourceBranch } from './source.js';

export interface ClusterStatus {
  cluster: string;
  branch: string;
  /** Head of the rendered branch; absent when the branch does not exist. */
  renderedCommit?: string;
  /** The newest source commit the branch head is the render of (a `refs/notes/kiln` note, else its trailer). */
  sourceCommit?: string;
  /** The head's `Kiln-Source-Commit` trailer, when a note says it is also the render of the newer `sourceCommit`. */
  committedSource?: string;
  /** Commits of the reference the cluster lacks (`git rev-list --count source..reference`); null when unknown to the fleet repo. */
  behind?: number | null;
  /** Commits the cluster runs that the reference lacks. */
  ahead?: number | null;
}

export interface EnvironmentStatus {
  name: string;
  /** Reasons of the freezes active now. */
  frozen: string[];
  /** What this environment is compared with: the previous environment's newest source commit, or the fleet repo's HEAD for the first. */
  reference?: { name: string; commit: string };
  clusters: ClusterStatus[];
}

/**
 * `rev-list --count` once per distinct range: a fleet of 1,000 clusters on a handful of source
 * commits costs a handful of git calls (the report asks for every cluster).
 */
function counter(root: string): (range: string) => Promise<number | null> {
  const counts = new Map<string, Promise<number | null>>();
  return (range) => {
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
}

export async function environmentStatus(
  root: string,
  config: FleetConfig,
  branchesOf: (env: string) => SourceBranch[],
  heads: Map<string, BranchHead>,
  head: string | undefined,
  now: Date,
): Promise<EnvironmentStatus[]> {
  const count = counter(root);
  const out: EnvironmentStatus[] = [];
  let reference: EnvironmentStatus['reference'] = head ? { name: 'HEAD', commit: head } : undefined;
  for (const env of config.environments) {
    const clusters: ClusterStatus[] = [];
    for (const b of branchesOf(env.name)) {
      const h = heads.get(b.branch);
      const s: ClusterStatus = { cluster: b.cluster, branch: b.branch, renderedCommit: h?.commit, sourceCommit: h?.sourceCommit, ...(h?.committedSource ? { committedSource: h.committedSource } : {}) };
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

/** Diverged source commits (not on one line): compare with the one most clusters run. */
function mostCommon(clusters: ClusterStatus[]): string | undefined {
  const n = new Map<string, number>();
  for (const c of clusters) if (c.sourceCommit) n.set(c.sourceCommit, (n.get(c.sourceCommit) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}
