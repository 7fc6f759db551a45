/**
 * The two sides of a diff, per cluster: a render (of the work tree, or of a commit unpacked with
 * `git archive` so the user's work tree and index are never touched) or what each cluster's branch
 * holds on the remote now. Only files under the cluster's output path are kept.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from '../commands/options.js';
import { loadConfig } from '../config/load.js';
import { KilnError } from '../errors.js';
import { git } from '../git/git.js';
import { fetchHeads, lsRemoteHeads, readObjects } from '../git/remote.js';
import { selectClusters, type ClusterPlan, type Selection } from '../fleet/plan.js';
import type { FleetConfig } from '../model.js';
import type { SideFiles } from './compare.js';

export interface ClusterSide extends SideFiles {
  name: string;
  environment: string;
  branch: string;
  /** Published side: the branch head compared against. */
  commit?: string;
}

export function sideOf(plan: ClusterPlan, files: Map<string, string>, commit?: string): ClusterSide {
  const prefix = plan.outputPath.replace(/\/+$/, '') + '/';
  const kept = new Map([...files].filter(([p]) => p.startsWith(prefix)));
  return { name: plan.cluster.name, environment: plan.cluster.environment, branch: plan.branch, outputPath: plan.outputPath, files: kept, ...(commit ? { commit } : {}) };
}

/**
 * Which clusters to render on the base side: the selection as the base commit reads it, plus every
 * head cluster the base knows (a cluster moved between environments is still compared).
 */
export async function baseSelection(g: GlobalOptions, sel: Selection, headClusters: string[]): Promise<{ config: FleetConfig; clusters: string[] }> {
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config });
  const known = new Set(config.clusters.map((c) => c.name));
  const names = new Set<string>();
  try {
    for (const c of selectClusters(config, sel)) names.add(c.name);
  } catch (e) {
    if (!(e instanceof KilnError)) throw e; // a flag naming something the base does not have yet
  }
  for (const n of headClusters) if (known.has(n)) names.add(n);
  return { config, clusters: [...names].sort() };
}

/** What each plan's branch holds on `url` now; a missing branch is absent from the result. */
export async function publishedSides(url: string, plans: ClusterPlan[]): Promise<Map<string, ClusterSide>> {
  const heads = await lsRemoteHeads(url);
  const present = plans.filter((p) => heads.has(p.branch));
  const out = new Map<string, ClusterSide>();
  if (!present.length) return out;
  const work = await mkdtemp(path.join(os.tmpdir(), 'kiln-diff-remote-'));
  try {
    await git(undefined, ['init', '--quiet', '--bare', work]);
    await fetchHeads(work, url, [...new Set(present.map((p) => p.branch))]);
    const listed: Array<{ plan: ClusterPlan; blobs: Map<string, string> }> = [];
    for (const plan of present) {
      const { stdout } = await git(work, ['ls-tree', '-r', '-z', heads.get(plan.branch)!, '--', plan.outputPath.replace(/\/+$/, '')]);
      const blobs = new Map<string, string>();
      for (const entry of stdout.split('\0')) {
        const m = /^\d+ blob ([0-9a-f]{40})\t(.+)$/s.exec(entry);
        if (m) blobs.set(m[2]!, m[1]!);
      }
      listed.push({ plan, blobs });
    }
    const objects = await readObjects(work, [...new Set(listed.flatMap((l) => [...l.blobs.values()]))]);
    for (const { plan, blobs } of listed) {
      const files = new Map([...blobs].map(([p, id]) => [p, objects.get(id)?.body.toString('utf8') ?? '']));
      out.set(plan.cluster.name, sideOf(plan, files, heads.get(plan.branch)));
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
