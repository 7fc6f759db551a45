/** ytt: templates and overlays from `paths`, data values files in order, inline `dataValues` last. */
import { parseManifests } from '../manifests/parse.js';
import type { YttSpec } from '../model.js';
import { existing, runTool, shown, toolFrom, withScratch, writeInlineValues } from './common.js';
import type { Renderer } from './renderer.js';

export const yttRenderer: Renderer<YttSpec> = {
  engine: 'ytt',
  tool: 'ytt',
  async render(spec, ctx) {
    const ytt = toolFrom(ctx, 'ytt');
    const args: string[] = [];
    const argsShown: string[] = [];
    for (const p of spec.paths) {
      const { abs } = await existing(ctx.root, p, 'ytt path');
      args.push('-f', abs);
      argsShown.push('-f', shown(ctx, abs));
    }
    for (const f of spec.dataValuesFiles) {
      const { abs } = await existing(ctx.root, f, 'ytt data values file');
      args.push('--data-values-file', abs);
      argsShown.push('--data-values-file', shown(ctx, abs));
    }
    return withScratch(ctx, 'ytt', async (dir) => {
      const file = await writeInlineValues(dir, 'data-values.yaml', spec.dataValues);
      if (file) {
        args.push('--data-values-file', file);
        argsShown.push('--data-values-file', '<inline-data-values>');
      }
      const { stdout } = await runTool(ctx, ytt.path, args, { cwd: ctx.root, timeoutMs: ctx.timeoutMs });
      return { objects: parseManifests(stdout, { source: 'ytt output' }), command: ['ytt', ...argsShown] };
    });
  },
};
