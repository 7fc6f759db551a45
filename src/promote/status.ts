/** Where each environment stands: the source commit each cluster runs and how far it trails the previous environment. */
import { git } from '../git/git.js';
import { sourceHistory, type SourceHistory } from '../git/history.js';
import type { FleetConfig } from '../model.js';
import { createOrderer } from '../publish/source-order.js';
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
 * `rev-list --count` both ways once per distinct pair: a fleet of 1,000 clusters on a handful of
 * source commits costs a handful of git calls (the report asks for every cluster). The pair is first
 * ordered as publish orders it (missing commits fetched by id, the history
 * deepened in a shallow clone until one is an ancestor of the other or the lines are known to
 * diverge), so the counts walk real history instead of stopping at the shallow boundary.
 */
function counter(history: SourceHistory): (source: string, reference: string) => Promise<{ behind: number | null; ahead: number | null }> {
  const counts = new Map<string, Promise<{ behind: number | null; ahead: number | null }>>();
  const count = (range: string) =>
    git(undefined, ['-C', history.root, 'rev-list', '--count', range]).then(
      (r) => Number(r.stdout.trim()),
      () => null, // unknown commit: never pushed, or history rewritten
    );
  return (source, reference) => {
    const key = `${source}..${reference}`;
    let p = counts.get(key);
    if (!p) {
      p = (async () => {
        await createOrderer(history, reference)(source); // fetches and deepens only what is missing
        return { behind: await count(`${source}..${reference}`), ahead: await count(`${reference}..${source}`) };
      })();
      counts.set(key, p);
    }
    return p;
  };
}

export async function environmentStatus(
  root: SourceHistory | string,
  config: FleetConfig,
  branchesOf: (env: string) => SourceBranch[],
  heads: Map<string, BranchHead>,
  head: string | undefined,
  now: Date,
): Promise<EnvironmentStatus[]> {
  const history = typeof root === 'string' ? sourceHistory(root) : root;
  const count = counter(history);
  const out: EnvironmentStatus[] = [];
  let reference: EnvironmentStatus['reference'] = head ? { name: 'HEAD', commit: head } : undefined;
  for (const env of config.environments) {
    const clusters: ClusterStatus[] = [];
    for (const b of branchesOf(env.name)) {
      const h = heads.get(b.branch);
      const s: ClusterStatus = { cluster: b.cluster, branch: b.branch, renderedCommit: h?.commit, sourceCommit: h?.sourceCommit, ...(h?.committedSource ? { committedSource: h.committedSource } : {}) };
      if (reference && s.sourceCommit) {
        const c = await count(s.sourceCommit, reference.commit);
        s.behind = c.behind;
        s.ahead = c.ahead;
      }
      clusters.push(s);
    }
    out.push({ name: env.name, frozen: activeFreezes(env, now).map((w) => w.reason), reference, clusters });
    const carried = [...new Set(clusters.map((c) => c.sourceCommit).filter((c): c is string => Boolean(c)))];
    const newest = carried.length ? ((await newestOnOneLine(history, carried)) ?? mostCommon(clusters)) : undefined;
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
