/** Both sides of a diff rendered or read, compared cluster by cluster as head renders arrive. */
import { warningLine } from '../errors.js';
import type { GlobalOptions } from '../options.js';
import type { ClusterPlan, Selection } from '../fleet/plan.js';
import { hasRememberedRenders, rememberedRenders, unchangedBranches } from '../fleet/cluster-memo.js';
import { prepareRender } from '../fleet/prepare.js';
import { renderFleet } from '../fleet/render-fleet.js';
import { resolveRemote } from '../publish/remote-url.js';
import { lsRemoteHeads } from '../git/remote.js';
import { preloadExeca } from '../exec/exec.js';
import { warmRenderers } from '../render/index.js';
import type { CommitFactsStore } from '../git/commit-facts.js';
import { diffReport, withProfileIgnores } from './branch-diff.js';
import { compareCluster, type ClusterDiff, type CompareOptions } from './compare.js';
import type { DiffReport, DiffSideInfo } from './model.js';
import { checkerFor, logCheckStats, logFindings } from '../check/gate.js';
import { summarize, type ClusterCheck } from '../check/model.js';
import { inputsNotInCommit, notInCommitMessage } from '../git/inputs-in-commit.js';
import { snapshotAt } from '../git/snapshot.js';
import type { FleetConfig, Warning } from '../model.js';
import { artifactHeads } from '../oci/targets.js';
import { baseSelection, openPublished, sideOf, type ClusterSide, type PublishedSides } from './sides.js';

export interface DiffInputs {
  sel: Selection;
  /** A ref of the fleet repo to compare against; absent: the published branches on `remote`. */
  base?: string;
  /** A ref to render as the new side; absent: the work tree. */
  head?: string;
  remote: string;
  /** Skip the checks of the head side (`--no-check`). */
  noCheck?: boolean;
}

export async function computeDiff(g: GlobalOptions, inp: DiffInputs, cmp: CompareOptions & { patterns: string[] }): Promise<DiffReport> {
  const headSnap = inp.head ? await snapshotAt(g, inp.head) : undefined;
  try {
    const hg = headSnap?.g ?? g;
    const prep = await prepareRender(hg, inp.sel, headSnap?.source, { side: 'head', snapshot: headSnap });
    try {
      for (const w of prep.warnings) g.logger.warn(warningLine(w));
      // the head's profiles say which of their fields a diff leaves out (`diffIgnore`), on both sides
      cmp = withProfileIgnores(cmp, prep.config.profiles);
      // git lists the remote's heads while kiln checks the work tree and hashes the clusters' keys (as publish does)
      const starting = baseSides(g, inp, prep.plans.map((p) => p.cluster.name), prep.plans, prep.config, prep.env.commitFacts);
      starting.catch(() => undefined); // awaited below
      const remembered = !inp.base && prep.config.output.branches !== false && prep.env.clusterMemo && hasRememberedRenders(prep.env.cacheDir) ? rememberedRenders(prep.plans, prep.env) : undefined;
      remembered?.catch(() => undefined); // awaited by unchangedBranches, or settled on the way out
      if (!headSnap) {
        // the work tree as the head: say when it holds inputs its commit does not (publish would render without them)
        const missing = await inputsNotInCommit(prep.config.root, prep.plans).catch(async (e: unknown) => {
          await Promise.allSettled([starting, remembered]);
          throw e;
        });
        if (missing.length) g.logger.warn(notInCommitMessage(missing, prep.env.source.commit));
      }
      const headInfo: DiffSideInfo = headSnap
        ? { kind: 'ref', ref: inp.head, commit: headSnap.commit }
        : { kind: 'worktree', commit: prep.env.source.commit === 'unknown' ? undefined : prep.env.source.commit, dirty: prep.env.source.dirty };
      const start = await starting.catch(async (e: unknown) => {
        await remembered?.catch(() => undefined);
        throw e;
      });
      const baseInfo = start.info;
      // a cluster whose branch holds exactly its remembered render has nothing to show: not rendered, its branch
      // not even fetched when the commit facts tell what every head deploys. The base is read before the head
      // renders, not beside it, so the two working sets do not add up (beside it: 597 MiB at 10,000 clusters)
      let same = { branches: new Set<string>(), warnings: [] as Warning[] };
      let opened: BaseSides | undefined;
      try {
        if (baseInfo.kind === 'published' && start.known) {
          same = await unchangedBranches(prep.plans, prep.env, start.known, remembered);
          const toRender = prep.plans.filter((p) => !same.branches.has(p.branch));
          // the workers start while git fetches the base
          if (toRender.length) warmRenderers({ tools: prep.env.tools, cacheDir: prep.env.cacheDir, session: prep.env });
          opened = await start.open(toRender);
        } else {
          if (prep.plans.length) warmRenderers({ tools: prep.env.tools, cacheDir: prep.env.cacheDir, session: prep.env });
          opened = await start.open(prep.plans);
          if (baseInfo.kind === 'published') same = await unchangedBranches(prep.plans, prep.env, publishedContent(prep.plans, opened.sides), remembered);
        }
        const { sides: base, narrow } = opened;
        const results: ClusterDiff[] = [];
        // the head side is what would be published: checked as publish would (clusters unchanged against their branches are not)
        const checker = await checkerFor(prep, { noCheck: inp.noCheck });
        const checked: ClusterCheck[] = [];
        const compared = new Set<string>();
        for (const plan of prep.plans.filter((p) => same.branches.has(p.branch))) {
          // its branch's head: read with the base, or (not fetched) as the remote listed it
          results.push({ summary: clusterInfo(sideOf(plan, new Map()), base.get(plan.cluster.name)?.commit ?? start.heads?.get(plan.branch)), objects: [] });
          compared.add(plan.cluster.name);
        }
        if (same.branches.size) g.logger.info(`${same.branches.size} cluster(s) unchanged against their branches (remembered renders); rendering ${prep.plans.length - same.branches.size}`);
        const where = (c: ClusterSide | undefined, side: 'base' | 'head') => (side === 'base' ? (c?.commit ? `${c.branch}@${c.commit.slice(0, 12)}` : `base ${c?.name}`) : `head ${c?.name}`);
        const summary = await renderFleet(prep.plans.filter((p) => !same.branches.has(p.branch)), prep.env, {
          side: inp.head ? `head ${inp.head}` : 'head (work tree)',
          concurrency: g.concurrency,
          logger: g.logger,
          onCluster: async (r) => {
            if (checker) checked.push(await checker.check(r.plan.cluster, r.plan.outputPath, r.files, r.writtenFrom));
            const h = sideOf(r.plan, r.files);
            const b = base.get(h.name);
            compared.add(h.name);
            const removed = removedProfiles(b, h);
            const [before, after] = await narrow(b, h);
            results.push({ summary: { ...clusterInfo(h, b?.commit), ...(removed.length ? { removedProfiles: removed } : {}) }, objects: compareCluster(before, after, cmp, { before: where(b, 'base'), after: where(h, 'head') }) });
          },
        });
        for (const w of new Map([...same.warnings, ...summary.warnings].map((w) => [w.message, w])).values()) g.logger.warn(warningLine(w));
        // clusters only the base has: everything they had is removed
        for (const b of base.values()) {
          if (compared.has(b.name)) continue;
          const removed = removedProfiles(b, undefined);
          const [before] = await narrow(b, undefined);
          results.push({ summary: { ...clusterInfo(b, b.commit), ...(removed.length ? { removedProfiles: removed } : {}) }, objects: compareCluster(before, undefined, cmp, { before: where(b, 'base'), after: '' }) });
        }
        // findings of the clusters this change touches: unchanged ones run what their branch holds (and the
        // report stays the same whether remembered renders let kiln skip them or not)
        const touched = new Set(results.filter((r) => r.objects.length > 0).map((r) => r.summary.name));
        const checks = checker ? summarize(checked.filter((c) => touched.has(c.cluster))) : undefined;
        if (checks) logFindings(g.logger, checks);
        if (checker) logCheckStats(g.logger, checker.stats);
        return { ...diffReport(baseInfo, headInfo, cmp.patterns, results), ...(checks ? { checks } : {}) };
      } finally {
        await opened?.close();
      }
    } finally {
      await prep.cleanup();
    }
  } finally {
    await headSnap?.cleanup();
  }
}

/** The profile directories of a side: `<outputPath>/<profile>/…` (published sides list paths in `blobs` before reading). */
function profileDirs(side: ClusterSide | undefined): Set<string> {
  const out = new Set<string>();
  if (!side) return out;
  const prefix = side.outputPath.replace(/\/+$/, '') + '/';
  for (const p of [...side.files.keys(), ...(side.blobs?.keys() ?? [])]) {
    if (!p.startsWith(prefix)) continue;
    const rest = p.slice(prefix.length);
    if (rest.includes('/')) out.add(rest.slice(0, rest.indexOf('/')));
  }
  return out;
}

/** Profiles whose objects the base has on this cluster and the head none at all. */
export function removedProfiles(base: ClusterSide | undefined, head: ClusterSide | undefined): string[] {
  const after = profileDirs(head);
  return [...profileDirs(base)].filter((p) => !after.has(p)).sort();
}

function publishedContent(plans: ClusterPlan[], base: Map<string, ClusterSide>): Map<string, string> {
  const known = new Map<string, string>();
  for (const p of plans) {
    const content = base.get(p.cluster.name)?.content;
    if (content) known.set(p.branch, content);
  }
  return known;
}

/** What each plan's present branch deploys, from its head's commit facts alone; undefined when one is not known. */
async function knownContents(heads: Map<string, string>, plans: ClusterPlan[], facts: CommitFactsStore | undefined): Promise<Map<string, string> | undefined> {
  if (!facts) return undefined;
  const known = new Map<string, string>();
  for (const p of plans) {
    const commit = heads.get(p.branch);
    if (!commit) continue;
    const f = await facts.get(commit);
    if (!f) return undefined;
    known.set(p.branch, f.content);
  }
  return known;
}

/** A cluster's line in the report; `baseCommit`: the branch head it was compared against. */
function clusterInfo(c: ClusterSide, baseCommit: string | undefined): ClusterDiff['summary'] {
  return { name: c.name, environment: c.environment, branch: c.branch, ...(baseCommit ? { baseCommit } : {}) };
}

interface BaseSides extends PublishedSides {
  info: DiffSideInfo;
}

/** The base side before its files are read: what it is, and (published branches) what the remote's heads are. */
interface BaseStart {
  info: DiffSideInfo;
  /** Published branches: each branch's head on the remote (`ls-remote`). */
  heads?: Map<string, string>;
  /** Published branches: what each present head deploys, when the commit facts know every one of them. */
  known?: Map<string, string>;
  /** The sides of these plans' clusters (published branches: only these are fetched). */
  open(plans: ClusterPlan[]): Promise<BaseSides>;
}

const ready = (sides: BaseSides): BaseStart => ({ info: sides.info, open: async () => sides });

async function baseSides(g: GlobalOptions, inp: DiffInputs, headClusters: string[], headPlans: ClusterPlan[], config: FleetConfig, facts?: CommitFactsStore): Promise<BaseStart> {
  if (!inp.base && config.output.branches === false) {
    // artifacts only: what each cluster's moving tag holds is the published side
    g.logger.info(`reading published artifacts of ${headPlans.length} cluster(s) from ${config.output.oci!.repository}`);
    const heads = await artifactHeads(config, headPlans.map((p) => p.cluster), true);
    const sides = new Map<string, ClusterSide>();
    for (const plan of headPlans) {
      const a = heads.get(plan.branch)?.artifact;
      if (!a) continue;
      const side = sideOf(plan, new Map([...(a.files ?? [])].map(([p, b]) => [p, b.toString('utf8')])), a.digest);
      sides.set(plan.cluster.name, a.content ? { ...side, content: a.content } : side);
    }
    return ready({ sides, info: { kind: 'published', ref: config.output.oci!.repository }, narrow: async (b, h) => [b, h], close: async () => undefined });
  }
  if (!inp.base) {
    const url = await resolveRemote(g.cwd, inp.remote);
    const info: DiffSideInfo = { kind: 'published', ref: inp.remote };
    const heads = await lsRemoteHeads(url);
    return {
      info,
      heads,
      known: await knownContents(heads, headPlans, facts),
      open: async (plans) => {
        // the base's trees are read through execa: it loads while git fetches them
        if (plans.some((p) => heads.has(p.branch))) preloadExeca();
        const stage = g.progress?.stage(`fetch base (published branches of ${inp.remote})`);
        const published = await openPublished(url, plans, (m) => g.logger.warn(m), heads);
        stage?.end(`${published.sides.size} of ${plans.length} cluster branch(es)`);
        return { ...published, info };
      },
    };
  }
  const snap = await snapshotAt(g, inp.base);
  try {
    const { clusters } = await baseSelection(snap.g, inp.sel, headClusters);
    const sides = new Map<string, ClusterSide>();
    if (clusters.length) {
      // the base was valid when published: rules newer than it (selectors selecting nothing, dangling patch
      // targets, hooks and generateName on Flux) are warnings on this side, never a failed diff
      const side = `base ${inp.base}@${snap.commit.slice(0, 12)}`;
      const prep = await prepareRender(snap.g, { clusters }, snap.source, { lenient: true, side });
      try {
        for (const w of prep.warnings) g.logger.warn(`${side}: ${warningLine(w)}`);
        const summary = await renderFleet(prep.plans, prep.env, { side, concurrency: g.concurrency, logger: g.logger, onCluster: (r) => void sides.set(r.plan.cluster.name, sideOf(r.plan, r.files)) });
        for (const w of new Set(summary.warnings.map((x) => x.message))) g.logger.warn(`${side}: ${w}`);
      } finally {
        await prep.cleanup();
      }
    }
    // rendered: both sides hold their texts, and compareCluster drops the identical ones itself
    return ready({ sides, info: { kind: 'ref', ref: inp.base, commit: snap.commit }, narrow: async (b, h) => [b, h], close: async () => undefined });
  } finally {
    await snap.cleanup();
  }
}
