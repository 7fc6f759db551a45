/**
 * The two sides of a diff, per cluster: a render (of the work tree, or of a commit unpacked with
 * `git archive` so the user's work tree and index are never touched) or what each cluster's branch
 * holds on the remote now. Only files under the cluster's output path are kept.
 */
import type { GlobalOptions } from '../options.js';
import { loadConfig } from '../config/load.js';
import { configParseCache } from '../config/parse-cache.js';
import { KilnError } from '../errors.js';
import { CatFile } from '../git/cat-file.js';
import { scratchRepo } from '../git/git.js';
import { blobId } from '../git/objects.js';
import { fetchHeads, lsRemoteHeads } from '../git/remote.js';
import { listBlobs } from '../git/tree-walk.js';
import { selectClusters, type ClusterPlan, type Selection } from '../fleet/plan.js';
import type { FleetConfig } from '../model.js';
import type { SideFiles } from './compare.js';

export interface ClusterSide extends SideFiles {
  name: string;
  environment: string;
  branch: string;
  /** Published side: the branch head compared against. */
  commit?: string;
  /** Published side: blob id per path under the output path (`files` then holds only what was read). */
  blobs?: Map<string, string>;
  /** Published side: what the branch deploys (objects.ts `contentIdOfEntries`). */
  content?: string;
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
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config, emptyProfilesWarn: true, parseCache: configParseCache() }); // the base was valid when published
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

/** The published branches: blob ids read up front, contents only of the files a comparison needs. */
export interface PublishedSides {
  /** Per cluster whose branch exists: `blobs` filled, `files` empty until `narrow` reads them. */
  sides: Map<string, ClusterSide>;
  /**
   * One cluster's sides ready for `compareCluster`: files with the same blob id at the same path on
   * both sides dropped from both (same bytes, same objects), the published contents of the rest read.
   */
  narrow(base: ClusterSide | undefined, head: ClusterSide | undefined): Promise<[ClusterSide | undefined, ClusterSide | undefined]>;
  close(): Promise<void>;
}

/**
 * What each plan's branch holds on `url` now; a missing branch is absent. One depth-1 fetch, then one
 * `cat-file --batch` process for every tree and blob read: no process per cluster. `listed`: the
 * remote's heads, when the caller already asked (`ls-remote`).
 */
export async function openPublished(url: string, plans: ClusterPlan[], warn: (message: string) => void = () => undefined, listed?: Map<string, string>): Promise<PublishedSides> {
  const heads = listed ?? (await lsRemoteHeads(url));
  const present = plans.filter((p) => heads.has(p.branch));
  const sides = new Map<string, ClusterSide>();
  if (!present.length) return { sides, narrow: async (b, h) => [b, h], close: async () => undefined };
  const { dir: work, remove } = await scratchRepo('kiln-diff-remote-');
  let cat: CatFile | undefined;
  const close = async () => {
    await cat?.close();
    await remove();
  };
  try {
    await fetchHeads(work, url, [...new Set(present.map((p) => p.branch))], heads);
    cat = new CatFile(work);
    const listings = await listBlobs(cat, present.map((p) => ({ commit: heads.get(p.branch)!, dir: p.outputPath })));
    const special = { [SYMLINK]: [] as string[], [SUBMODULE]: [] as string[] };
    present.forEach((plan, i) => {
      const { blobs, special: odd } = listings[i]!;
      for (const e of odd) special[e.mode as keyof typeof special]?.push(`${plan.branch}:${e.path}`);
      const side = sideOf(plan, new Map(), heads.get(plan.branch));
      const prefix = trimmed(plan.outputPath) + '/';
      side.blobs = new Map([...blobs].filter(([p]) => p.startsWith(prefix)));
      side.content = listings[i]!.content;
      sides.set(plan.cluster.name, side);
    });
    const some = (l: string[]) => l.slice(0, 3).join(', ') + (l.length > 3 ? ', …' : '');
    if (special[SYMLINK].length) warn(`${special[SYMLINK].length} symlink(s) on published branches are compared as files holding their target: ${some(special[SYMLINK])}`);
    if (special[SUBMODULE].length) warn(`${special[SUBMODULE].length} submodule(s) on published branches are left out of the comparison: ${some(special[SUBMODULE])}`);
  } catch (e) {
    await close();
    throw e;
  }
  const reader = cat;
  return {
    sides,
    close,
    async narrow(base, head) {
      if (!base?.blobs) return [base, head];
      // another output path means other profile names for the same paths: compare everything then
      const comparable = head !== undefined && trimmed(head.outputPath) === trimmed(base.outputPath);
      const wanted = new Map<string, string>();
      const same = new Set<string>();
      for (const [p, id] of base.blobs) {
        const text = comparable ? head.files.get(p) : undefined;
        if (text !== undefined && blobId(Buffer.from(text)) === id) same.add(p);
        else wanted.set(p, id);
      }
      const objects = await reader.read([...new Set(wanted.values())]);
      const { blobs: _ids, ...rest } = base;
      const read: ClusterSide = { ...rest, files: new Map([...wanted].map(([p, id]) => [p, objects.get(id)?.body.toString('utf8') ?? ''])) };
      return [read, same.size && head ? { ...head, files: new Map([...head.files].filter(([p]) => !same.has(p))) } : head];
    },
  };
}

const trimmed = (p: string) => p.replace(/\/+$/, '');
const SYMLINK = '120000';
const SUBMODULE = '160000';
