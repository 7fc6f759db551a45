/** Render many clusters with bounded concurrency, handing each result on as soon as it is ready. */
import pLimit from 'p-limit';
import type { Logger } from '../log/logger.js';
import type { Warning } from '../model.js';
import type { ClusterPlan } from './plan.js';
import { renderCluster, type RenderEnv, type RenderedCluster } from './render-cluster.js';

export interface RenderFleetOptions {
  concurrency: number;
  logger: Logger;
  /** Called once per cluster, in completion order; the caller writes and lets go, so memory stays flat. */
  onCluster: (r: RenderedCluster) => Promise<void> | void;
}

export interface RenderFleetSummary {
  clusters: number;
  objects: number;
  warnings: Warning[];
}

/** Clusters in flight per tool slot: while one waits for its tool, others hash, assemble and serialise. */
const PIPELINE_DEPTH = 4;

export async function renderFleet(plans: ClusterPlan[], env: RenderEnv, opts: RenderFleetOptions): Promise<RenderFleetSummary> {
  // With a tool limiter in the env, `concurrency` bounds tool processes and more clusters overlap.
  const limit = pLimit(Math.max(1, opts.concurrency) * (env.toolLimit ? PIPELINE_DEPTH : 1));
  let done = 0;
  let objects = 0;
  const warnings = new Map<string, Warning>();
  let failed = false;
  await Promise.all(
    plans.map((plan) =>
      limit(async () => {
        if (failed) return; // stop starting work after the first error; it is reported once
        try {
          const r = await renderCluster(plan, env);
          for (const w of r.warnings) warnings.set(w.message, w);
          objects += r.objects;
          await opts.onCluster(r);
          done++;
          opts.logger.progress('rendered clusters', done, plans.length);
        } catch (e) {
          failed = true;
          throw e;
        }
      }),
    ),
  );
  return { clusters: done, objects, warnings: [...warnings.values()] };
}
