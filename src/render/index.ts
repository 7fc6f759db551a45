/** One entry point for every engine, and one shape for every failure: who, where, which tool, what it said. */
import { ExitCode, KilnError } from '../errors.js';
import { ExecError, isCancelled } from '../exec/exec.js';
import type { Component, Engine } from '../model.js';
import { helmRenderer } from './helm.js';
import { jsonnetRenderer } from './jsonnet.js';
import { kustomizeRenderer } from './kustomize.js';
import { manifestsRenderer } from './manifests.js';
import type { RenderContext, RenderOutput, Renderer, WarmContext } from './renderer.js';
import { findTools } from './tools.js';
import { yttRenderer } from './ytt.js';

type SpecOf<E extends Engine> = Extract<Component, { engine: E }>['spec'];

export const renderers: { [E in Engine]: Renderer<SpecOf<E>> } = {
  helm: helmRenderer,
  kustomize: kustomizeRenderer,
  jsonnet: jsonnetRenderer,
  ytt: yttRenderer,
  manifests: manifestsRenderer,
};

/** Renders are coming: every engine with a tool in `ctx.tools` starts its render worker now (Renderer.warm). */
export function warmRenderers(ctx: WarmContext): void {
  for (const r of Object.values(renderers) as Array<Renderer<unknown>>) r.warm?.(ctx);
}

/** `profile "ingress", component "nginx", cluster "dev-1"` */
export function componentLabel(ctx: Pick<RenderContext, 'profile' | 'component' | 'cluster'>): string {
  return `profile "${ctx.profile}", component "${ctx.component}", cluster "${ctx.cluster.name}"`;
}

export async function renderComponent(component: Component, ctx: RenderContext): Promise<RenderOutput> {
  const renderer = renderers[component.engine] as Renderer<Component['spec']>;
  ctx.session?.exec.check(componentLabel(ctx)); // a cancelled run starts nothing new
  try {
    let c = ctx;
    const tool = renderer.tool;
    if (tool && !ctx.tools[tool]) {
      // Normally located up front (with spec.tools checked); this keeps library use and tests simple.
      const found = await findTools([tool], {}, process.env, { [tool]: [`profile "${ctx.profile}" component "${ctx.component}"`] });
      c = { ...ctx, tools: { ...ctx.tools, ...found } };
    }
    return await renderer.render(component.spec, c);
  } catch (e) {
    throw renderFailure(e, component.engine, ctx);
  }
}

/** The tool's stderr as one line: from its first error line on, repo paths made relative, bounded. */
export function toolMessage(stderr: string, root: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const first = lines.findIndex((l) => /error/i.test(l));
  let msg = lines.slice(first < 0 ? 0 : first).join(' | ');
  msg = msg.split(root + '/').join('');
  return msg.length > 1000 ? msg.slice(0, 1000) + '…' : msg;
}

function renderFailure(e: unknown, engine: Engine, ctx: RenderContext): KilnError {
  if (isCancelled(e)) return e as KilnError; // not this component's fault: the run's first failure is reported
  const who = componentLabel(ctx);
  if (e instanceof ExecError) {
    const tool = renderers[engine].tool ?? engine;
    // `helm template`, `helm pull`, `kustomize build`; jsonnet and ytt have no subcommand
    const step = tool === 'helm' || tool === 'kustomize' ? `${tool} ${e.args[0] ?? ''}`.trim() : tool;
    let what: string;
    if (e.timedOut) what = `${step} timed out after ${Math.round(ctx.timeoutMs / 100) / 10}s`;
    else {
      const said = toolMessage(e.stderr, ctx.root) || (e.exitCode_ === undefined ? e.message : `exited with code ${e.exitCode_}`);
      what = `${step} failed: ${said}`;
    }
    return new KilnError(`${who}: ${what}`, { cause: e, hint: e.timedOut ? 'raise KILN_TOOL_TIMEOUT_MS if the render is just slow' : undefined });
  }
  if (e instanceof KilnError) {
    return new KilnError(`${who}: ${engine}: ${e.message}`, { cause: e, hint: e.hint, pos: e.pos, field: e.field, exitCode: e.exitCode });
  }
  const err = e as NodeJS.ErrnoException;
  const isFs = typeof err?.code === 'string';
  return new KilnError(`${who}: ${engine}: ${err?.message ?? String(e)}`, {
    cause: e,
    exitCode: isFs ? ExitCode.user : ExitCode.internal,
  });
}
