/**
 * Render clusters as the fleet repo stood at one commit, without touching the user's work tree or
 * index: `git archive <sha>` into a temp dir, render there with that commit's source info.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from '../commands/options.js';
import { loadConfig } from '../config/load.js';
import { KilnError } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import { git } from '../git/git.js';
import { sourceInfo, type SourceInfo } from '../git/source.js';
import type { ClusterPlan, Selection } from '../fleet/plan.js';
import { prepareRender } from '../fleet/prepare.js';
import { renderFleet } from '../fleet/render-fleet.js';
import { mergeBranchTrees } from '../manifests/tree.js';
import type { FleetConfig } from '../model.js';
import type { RenderedBranch } from '../publish/publish.js';

/** A full commit id in the fleet repo, or a one-line error. */
export async function resolveCommit(root: string, rev: string): Promise<string> {
  try {
    return (await git(undefined, ['-C', root, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).stdout.trim();
  } catch (e) {
    throw new KilnError(`"${rev}" is not a commit of the fleet repo`, { hint: 'fetch full history (a shallow CI clone lacks older commits)', cause: e instanceof ExecError ? e : undefined });
  }
}

export interface RenderedAt {
  source: SourceInfo;
  config: FleetConfig;
  branches: RenderedBranch[];
}

/**
 * Render `sel` (whole branches) at `sha`. `g.cwd`/`g.config` are mapped into the snapshot; the
 * repo's origin, ref and the commit's subject come from the real repo.
 */
export async function renderAt(g: GlobalOptions, sha: string, sel: (config: FleetConfig) => Selection): Promise<RenderedAt> {
  const top = (await git(undefined, ['-C', g.cwd, 'rev-parse', '--show-toplevel'])).stdout.trim();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kiln-at-'));
  try {
    const tree = path.join(tmp, 'tree');
    await mkdir(tree);
    const tar = path.join(tmp, 'src.tar');
    await git(undefined, ['-C', top, 'archive', '--format=tar', '-o', tar, sha]);
    await run('tar', ['-xf', tar, '-C', tree], { timeoutMs: 600_000 });
    const inside = (p: string) => path.join(tree, path.relative(top, p));
    const at: GlobalOptions = { ...g, cwd: inside(g.cwd), config: g.config && inside(g.config) };
    const real = await sourceInfo(top, { commit: sha, dirty: false });
    const { config } = await loadConfig({ cwd: at.cwd, config: at.config });
    const prep = await prepareRender(at, sel(config), real);
    try {
      const branches = await renderGrouped(prep.plans, async (onCluster) => {
        const s = await renderFleet(prep.plans, prep.env, { concurrency: g.concurrency, logger: g.logger, onCluster: (r) => onCluster(r.plan, r.files) });
        for (const w of s.warnings) g.logger.warn(w.message);
      });
      return { source: real, config: prep.config, branches };
    } finally {
      await prep.cleanup();
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Collect per-cluster renders into whole branches (clusters sharing a branch are merged). */
async function renderGrouped(plans: ClusterPlan[], render: (onCluster: (p: ClusterPlan, files: Map<string, string>) => Promise<void>) => Promise<void>): Promise<RenderedBranch[]> {
  const byBranch = new Map<string, ClusterPlan[]>();
  for (const p of plans) byBranch.set(p.branch, [...(byBranch.get(p.branch) ?? []), p]);
  const got = new Map<string, Array<{ cluster: string; files: Map<string, string> }>>();
  await render(async (plan, files) => {
    got.set(plan.branch, [...(got.get(plan.branch) ?? []), { cluster: plan.cluster.name, files }]);
  });
  return [...byBranch.entries()]
    .map(([branch, ps]) => ({
      branch,
      cluster: ps.map((p) => p.cluster.name).join(','),
      environment: ps[0]!.cluster.environment,
      files: mergeBranchTrees(branch, got.get(branch) ?? []),
    }))
    .sort((a, b) => a.branch.localeCompare(b.branch));
}
