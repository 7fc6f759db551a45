/**
 * Render many clusters with bounded concurrency, handing each result on as soon as it is ready.
 *
 * The first failure aborts the session: running tools are killed, queued clusters never start, and
 * this returns only once every cluster in flight has settled (so the caller's clean-up never races a
 * render). What is thrown is the first real failure — with any other cluster's that failed on its
 * own, grouped (errors.ts errorsByCluster) — never a cancellation, never a clean-up's error.
 */
import pLimit from 'p-limit';
import { errorsByCluster, InterruptedError, KilnError, KilnErrors } from '../errors.js';
import { isCancelled } from '../exec/exec.js';
import type { Logger } from '../log/logger.js';
import type { Warning } from '../model.js';
import { componentHashes } from './cluster-memo.js';
import type { ClusterPlan } from './plan.js';
import { failedRender, renderCluster, type RenderedCluster } from './render-cluster.js';
import { newRenderTest, scoutAhead } from './scout.js';
import type { RenderSession } from './session.js';

export interface RenderFleetOptions {
  concurrency: number;
  logger: Logger;
  /** Called once per cluster, in completion order; the caller writes and lets go, so memory stays flat. */
  onCluster: (r: RenderedCluster) => Promise<void> | void;
  /** Which side this renders (`head`, `base main@1a2b3c4d5e6f`), named in progress lines. */
  side?: string;
}

export interface RenderFleetSummary {
  clusters: number;
  objects: number;
  warnings: Warning[];
}

/** Clusters in flight per tool slot: while one waits for its tool, others hash, assemble and serialise. */
const PIPELINE_DEPTH = 4;
/** Clusters rendered ahead of their turn per tool slot, each to start a tool render (scout.ts). */
const SCOUTS_PER_SLOT = 2;

export async function renderFleet(plans: ClusterPlan[], env: RenderSession, opts: RenderFleetOptions): Promise<RenderFleetSummary> {
  // `concurrency` bounds tool processes (env.toolLimit); more clusters overlap around them
  const limit = pLimit(Math.max(1, opts.concurrency) * PIPELINE_DEPTH);
  if (plans.length) env.exec.warm();
  let done = 0;
  let objects = 0;
  // the stage opens before the first cluster finishes: a slow first render shows as 0/N with its tool running
  const stage = env.progress.stage(opts.side ? `render ${opts.side}` : 'render', { total: plans.length, unit: 'clusters' });
  // warnings are reported in plan order, whatever order the clusters finished in (scouts go ahead)
  const warningsOf = new Map<ClusterPlan, Warning[]>();
  const failures: Array<{ cluster: string; error: KilnError }> = [];
  const started = new Set<ClusterPlan>();
  const render = async (plan: ClusterPlan): Promise<void> => {
    if (env.signal.aborted) return; // queued work never starts
    try {
      const r = await renderCluster(plan, env);
      if (r.warnings.length) warningsOf.set(plan, r.warnings);
      objects += r.objects;
      await opts.onCluster(r);
      done++;
      stage.count(done);
    } catch (e) {
      if (isCancelled(e) && env.signal.aborted) return; // another cluster's failure (or an interrupt) stopped it
      failures.push({ cluster: plan.cluster.name, error: asKilnError(e) });
      env.abort(e);
    }
  };
  // the main lane takes the clusters in order; scouts (scout.ts) take those bringing a new render ahead of it
  await Promise.all([
    Promise.all(
      plans.map((plan) =>
        limit(async () => {
          if (started.has(plan)) return;
          started.add(plan);
          await render(plan);
        }),
      ),
    ),
    scoutAhead(plans, {
      claimed: started,
      run: (plan) => (opts.logger.debug(`cluster ${plan.cluster.name}: rendered ahead of its turn (it brings a render no cluster before it needs)`), render(plan)),
      slots: Math.max(1, opts.concurrency) * SCOUTS_PER_SLOT,
      bringsNew: newRenderTest(env),
      signal: env.signal,
    }),
  ]);
  if (!env.signal.aborted) {
    await judgePatches(plans, env, opts);
    stage.end(`${done} cluster(s), ${objects} objects`);
    const warnings = new Map<string, Warning>();
    for (const plan of plans) for (const w of warningsOf.get(plan) ?? []) if (!warnings.has(w.message)) warnings.set(w.message, w);
    return { clusters: done, objects, warnings: [...warnings.values()] };
  }
  stage.end(`stopped after ${done} of ${plans.length} cluster(s)`);
  const reason: unknown = env.signal.reason;
  if (reason instanceof InterruptedError) throw reason;
  if (failures.length === 0) throw asKilnError(reason);
  // clusters that never started but share a failed render (the same chart, the same values) fail the
  // same way: count them, without running anything, so the report says how widespread the mistake is
  for (const plan of plans) {
    if (started.has(plan)) continue;
    const failed = await failedRender(plan, env, await componentHashes(plan, env).catch(() => new Map<string, string>()));
    if (failed) failures.push({ cluster: plan.cluster.name, error: failed });
  }
  // in plan order, whichever cluster failed first (a scout may fail ahead of the clusters before it)
  const at = new Map(plans.map((p, i) => [p.cluster.name, i]));
  failures.sort((a, b) => (at.get(a.cluster) ?? 0) - (at.get(b.cluster) ?? 0));
  throw errorsByCluster(failures);
}

/**
 * Profile patch targets that matched on no cluster of this render (patch/judge.ts): the profile's
 * other clusters, outside the selection, are rendered (mostly from the caches) until each matches
 * somewhere; what still matches nowhere is an error. A cluster that cannot be rendered here decides
 * nothing (the error stands), and never fails the run on its own.
 */
async function judgePatches(plans: ClusterPlan[], env: RenderSession, opts: RenderFleetOptions): Promise<void> {
  let pending = env.patchJudge.pendingProfiles();
  if (pending.size === 0) return;
  const others = (env.otherPlans?.(pending) ?? []).filter((p) => !plans.some((q) => q.cluster.name === p.cluster.name));
  if (others.length) {
    opts.logger.info(`a patch target matched nothing on the selected clusters: rendering ${others.length} other cluster(s) of profile(s) ${[...pending].sort().join(', ')} to judge it over the fleet`);
    const limit = pLimit(Math.max(1, opts.concurrency) * PIPELINE_DEPTH);
    await Promise.all(
      others.map((plan) =>
        limit(async () => {
          if (env.signal.aborted || env.patchJudge.pendingProfiles().size === 0) return;
          try {
            await renderCluster(plan, env);
          } catch (e) {
            if (env.signal.aborted) throw e;
            opts.logger.debug(`judging patch targets: cluster ${plan.cluster.name} did not render: ${e instanceof Error ? e.message : String(e)}`);
          }
        }),
      ),
    );
    pending = env.patchJudge.pendingProfiles();
  }
  if (pending.size === 0) return;
  const errors = env.patchJudge.errors();
  throw errors.length === 1 ? errors[0]! : new KilnErrors(errors);
}

/**
 * Anything thrown is reported as a KilnError: a file system refusal (writing --out: EACCES, ENOSPC,
 * ENOTDIR) is the user's to fix (exit 1); anything else keeps exit 70 (a bug in kiln).
 */
function asKilnError(e: unknown): KilnError {
  if (e instanceof KilnError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new KilnError(err.message, { cause: err });
  return new KilnError(`internal error: ${err.message}`, { exitCode: 70, cause: err });
}
