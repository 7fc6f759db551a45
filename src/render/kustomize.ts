/**
 * Kustomize: `kustomize build <dir>` with the default load restrictor and no Helm inflation, through
 * the session's kustomize render worker when it links this very kustomize (else the CLI).
 */
import { KUSTOMIZE_WORKER } from '../exec/render-worker.js';
import { manifestsOf } from '../manifests/parse.js';
import type { KustomizeSpec } from '../model.js';
import { existing, runToolOrWorker, shown, toolFrom, warmStandIn } from './common.js';
import type { Renderer, Tool } from './renderer.js';

/** The worker that may stand in for this kustomize: for component renders, post-render patch builds and `warm` alike. */
export const kustomizeStandIn = (kustomize: Tool) => ({ binary: KUSTOMIZE_WORKER, engine: 'kustomize' as const, tool: kustomize });

export const kustomizeRenderer: Renderer<KustomizeSpec> = {
  engine: 'kustomize',
  tool: 'kustomize',
  warm(ctx) {
    // post-render patches run through this worker too
    if (ctx.tools.kustomize) warmStandIn(ctx.session, kustomizeStandIn(ctx.tools.kustomize), true);
  },
  async render(spec, ctx) {
    const kustomize = toolFrom(ctx, 'kustomize');
    const { abs } = await existing(ctx.root, spec.path, 'kustomization directory');
    // No --enable-helm: charts belong in a helm component, rendered with the cluster's Capabilities.
    const out = await runToolOrWorker(ctx, { ...kustomizeStandIn(kustomize), args: ['build', abs], cwd: ctx.root, timeoutMs: ctx.timeoutMs, values: true });
    return {
      objects: manifestsOf(out, { source: 'kustomize build output' }),
      command: ['kustomize', 'build', shown(ctx, abs)],
    };
  },
};
