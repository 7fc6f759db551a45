/** Kustomize: `kustomize build <dir>` with the default load restrictor and no Helm inflation. */
import { parseManifests } from '../manifests/parse.js';
import type { KustomizeSpec } from '../model.js';
import { existing, runTool, shown, toolFrom } from './common.js';
import type { Renderer } from './renderer.js';

export const kustomizeRenderer: Renderer<KustomizeSpec> = {
  engine: 'kustomize',
  tool: 'kustomize',
  async render(spec, ctx) {
    const kustomize = toolFrom(ctx, 'kustomize');
    const { abs } = await existing(ctx.root, spec.path, 'kustomization directory');
    // No --enable-helm: charts belong in a helm component, rendered with the cluster's Capabilities.
    const { stdout } = await runTool(ctx, kustomize.path, ['build', abs], { cwd: ctx.root, timeoutMs: ctx.timeoutMs });
    return {
      objects: parseManifests(stdout, { source: 'kustomize build output' }),
      command: ['kustomize', 'build', shown(ctx, abs)],
    };
  },
};
