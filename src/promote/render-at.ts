/**
 * Render clusters as the fleet repo stood at one commit, without touching the user's work tree or
 * index: `git archive <sha>` into a temp dir, render there with that commit's source info.
 */
import type { GlobalOptions } from '../options.js';
import { loadConfig } from '../config/load.js';
import { ExitCode, InterruptedError, KilnError, warningLine } from '../errors.js';
import { snapshotAt } from '../git/snapshot.js';
import type { SourceInfo } from '../git/source.js';
import type { ClusterPlan, Selection } from '../fleet/plan.js';
import { branchCollector } from '../fleet/branches.js';
import { prepareRender } from '../fleet/prepare.js';
import { renderFleet } from '../fleet/render-fleet.js';
import type { FleetConfig } from '../model.js';
import type { RenderedBranch } from '../publish/publish.js';

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
  const snap = await snapshotAt(g, sha);
  try {
    return await renderIn(g, snap, sel);
  } catch (e) {
    // promote publishes into another environment: what it writes must pass today's rules, as a publish
    // would, even though the previous environment got this commit under older ones (unlike diff --base)
    if (e instanceof KilnError && !(e instanceof InterruptedError) && e.exitCode === ExitCode.user) {
      g.logger.error(`promote renders ${sha.slice(0, 12)} (the commit the previous environment runs) under this kiln's rules, like a publish; it fails them:`);
      g.logger.info(`fix it in a new commit and publish that to the previous environment first (or --source a later commit whose render it runs)`);
    }
    throw e;
  } finally {
    await snap.cleanup();
  }
}

async function renderIn(g: GlobalOptions, snap: Awaited<ReturnType<typeof snapshotAt>>, sel: (config: FleetConfig) => Selection): Promise<RenderedAt> {
  const { g: at, source: real } = snap;
  const { config } = await loadConfig({ cwd: at.cwd, config: at.config });
  const side = `at ${snap.commit.slice(0, 12)}`;
  const prep = await prepareRender(at, sel(config), real, { side });
  try {
    const branches = await renderGrouped(prep.plans, async (onCluster) => {
      const s = await renderFleet(prep.plans, prep.env, { side, concurrency: g.concurrency, logger: g.logger, onCluster: (r) => onCluster(r.plan, r.files) });
      for (const w of s.warnings) g.logger.warn(warningLine(w));
    });
    return { source: real, config: prep.config, branches };
  } finally {
    await prep.cleanup();
  }
}

/** Collect per-cluster renders into whole branches (clusters sharing a branch are merged). */
async function renderGrouped(plans: ClusterPlan[], render: (onCluster: (p: ClusterPlan, files: Map<string, string>) => Promise<void>) => Promise<void>): Promise<RenderedBranch[]> {
  const out: RenderedBranch[] = [];
  await render(branchCollector(plans, async (b) => void out.push(b)));
  return out.sort((a, b) => a.branch.localeCompare(b.branch));
}
