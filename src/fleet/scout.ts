/**
 * Scouts: clusters taken ahead of their turn because they bring a render no cluster before them
 * asked for, so the tools are busy with the next clusters' renders while kiln assembles the current
 * ones. Clusters that share a chart's render come in runs (plan order groups them), and rendered in
 * order each run waited for its one Helm render and patch build while the tools had nothing to do
 * between runs. A scout is a whole cluster rendered out of turn, once, by whichever lane claims it
 * first: the work and the results are the same, only the order changes.
 */
import type { ClusterPlan } from './plan.js';
import { componentHashes } from './cluster-memo.js';
import type { RenderSession } from './session.js';

/**
 * Walk the plans in order ahead of the main lane, and render (`run`) each one `bringsNew` says needs
 * a render nobody asked for yet, at most `slots` at a time. Plans already `claimed` are skipped; a
 * plan this takes is added there before it runs. Returns once every scout it started has settled.
 */
export async function scoutAhead(plans: ClusterPlan[], o: { claimed: Set<ClusterPlan>; run: (plan: ClusterPlan) => Promise<void>; slots: number; bringsNew: (plan: ClusterPlan) => Promise<boolean>; signal: AbortSignal }): Promise<void> {
  const running = new Set<Promise<void>>();
  for (const plan of plans) {
    if (o.signal.aborted) break;
    // a plan already claimed is still asked: the renders it brings are not new to later plans
    if (!(await o.bringsNew(plan)) || o.claimed.has(plan)) continue;
    while (running.size >= o.slots) await Promise.race(running);
    // the main lane may have reached it while a slot freed
    if (o.claimed.has(plan) || o.signal.aborted) continue;
    o.claimed.add(plan);
    const p = o.run(plan).finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
}

/**
 * Whether one of a plan's tool renders is new to this run, asked of the plans in order: no plan asked
 * before has it, it is not in the run's memo, and the render cache has no entry for it. A hash that
 * cannot be computed is left to the cluster's own render, which reports it.
 */
export function newRenderTest(env: RenderSession): (plan: ClusterPlan) => Promise<boolean> {
  const seen = new Set<string>();
  return async (plan) => {
    let hashes: Map<string, string>;
    try {
      hashes = await componentHashes(plan, env);
    } catch {
      return false;
    }
    let fresh = false;
    for (const p of plan.profiles) {
      for (const c of p.components) {
        const hash = hashes.get(`${p.name}/${c.name}`);
        if (c.engine === 'manifests' || hash === undefined) continue;
        const key = `${c.engine}:${hash}`;
        if (seen.has(key)) continue;
        seen.add(key);
        // a sync stat: one per distinct render, cheaper than a trip through the thread pool
        if (env.renders.has(key) || env.renderCache?.has(c.engine, hash)) continue;
        fresh = true;
      }
    }
    return fresh;
  };
}
