/**
 * The two sides of a diff, per cluster: a render (of the work tree, or of a commit unpacked with
 * `git archive` so the user's work tree and index are never touched) or what each cluster's branch
 * holds on the remote now. Only files under the cluster's output path are kept.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from '../commands/options.js';
import { loadConfig } from '../config/load.js';
import { KilnError } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import { git } from '../git/git.js';
import { fetchHeads, lsRemoteHeads, readObjects } from '../git/remote.js';
import { sourceInfo, type SourceInfo } from '../git/source.js';
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

export interface Snapshot {
  /** Global options pointing into the unpacked tree (`cwd`, `config` mapped). */
  g: GlobalOptions;
  source: SourceInfo;
  commit: string;
  cleanup(): Promise<void>;
}

/** The fleet repo as it stood at `ref`, unpacked into a temp dir. */
export async function snapshotAt(g: GlobalOptions, ref: string): Promise<Snapshot> {
  let top: string;
  let commit: string;
  try {
    top = (await git(undefined, ['-C', g.cwd, 'rev-parse', '--show-toplevel'])).stdout.trim();
    commit = (await git(undefined, ['-C', g.cwd, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim();
  } catch (e) {
    throw new KilnError(`"${ref}" is not a commit of the fleet repo`, { hint: 'fetch it first (a shallow CI clone lacks other commits: fetch-depth: 0)', cause: e instanceof ExecError ? e : undefined });
  }
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kiln-diff-'));
  try {
    const tree = path.join(tmp, 'tree');
    await mkdir(tree);
    const tar = path.join(tmp, 'src.tar');
    await git(undefined, ['-C', top, 'archive', '--format=tar', '-o', tar, commit]);
    await run('tar', ['-xf', tar, '-C', tree], { timeoutMs: 600_000 });
    await rm(tar);
    const inside = (p: string) => path.join(tree, path.relative(top, p));
    const source = await sourceInfo(top, { commit, dirty: false });
    return { g: { ...g, cwd: inside(g.cwd), config: g.config && inside(g.config) }, source, commit, cleanup: () => rm(tmp, { recursive: true, force: true }) };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
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
