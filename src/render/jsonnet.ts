/**
 * Jsonnet: typed external variables and top-level arguments (strings as `-str`, everything else as
 * JSON `-code`), library paths, and every output shape kubecfg/Tanka users write.
 */
import { KilnError } from '../errors.js';
import { buildEnv } from '../exec/exec.js';
import { WORKER_BINARY, type WorkerVar } from '../exec/render-worker.js';
import { parseK8sYaml, pushObjects } from '../manifests/parse.js';
import type { JsonnetSpec, K8sObject } from '../model.js';
import { askWorker, byCodeUnit, existing, runTool, shown, standInWorkers, toolFrom, toolLabel, warmStandIn } from './common.js';
import type { RenderContext, Renderer, Tool } from './renderer.js';
import { versionLine } from './tools.js';

/** `--ext-str k=v` / `--ext-code k=<json>` (or the tla pair), keys sorted for a stable argv. */
export function typedArgs(kind: 'ext' | 'tla', vars: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(vars).sort(byCodeUnit)) {
    const v = vars[k];
    // Always `k=v`: a bare `--ext-str k` would make jsonnet read the variable from the environment.
    if (typeof v === 'string') out.push(`--${kind}-str`, `${k}=${v}`);
    else out.push(`--${kind}-code`, `${k}=${JSON.stringify(v ?? null)}`);
  }
  return out;
}

/**
 * A Kubernetes object, an array, a `v1 List`, or an object whose values are any of these
 * (kubecfg style, in jsonnet's sorted key order), nested to any depth. Nulls are skipped.
 */
export function collectObjects(value: unknown, out: K8sObject[], where = '$'): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectObjects(v, out, `${where}[${i}]`));
    return;
  }
  if (typeof value !== 'object') {
    throw new KilnError(`jsonnet output at ${where} is a ${typeof value}, expected Kubernetes objects`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.apiVersion === 'string' && typeof o.kind === 'string') {
    pushObjects(o, out, `jsonnet output at ${where}`);
    return;
  }
  for (const k of Object.keys(o).sort(byCodeUnit)) collectObjects(o[k], out, `${where}.${k}`);
}

function workerVars(vars: Record<string, unknown>): WorkerVar[] {
  // the same strings typedArgs puts on the command line, in the same order
  return Object.keys(vars)
    .sort(byCodeUnit)
    .map((name) => {
      const v = vars[name];
      return typeof v === 'string' ? { name, value: v, code: false } : { name, value: JSON.stringify(v ?? null), code: true };
    });
}

/** The worker that may stand in for this jsonnet: go-jsonnet, so only for the Go implementation. One definition for the render and `warm`. */
const jsonnetStandIn = (jsonnet: Tool) => ({
  binary: WORKER_BINARY,
  engine: 'jsonnet',
  tool: jsonnet,
  fits: async () => (await versionLine('jsonnet', jsonnet.path).catch(() => '')).includes('(Go implementation)'),
});

/**
 * `jsonnet args…` in the fleet root: through a render worker when one stands in for this binary (it
 * links the version the binary reports, and the binary is the Go implementation), else the CLI.
 */
async function evaluate(ctx: RenderContext, jsonnet: Tool, args: string[], req: { file: string; jpath: string[]; ext: WorkerVar[]; tla: WorkerVar[] }): Promise<string> {
  const pool = await standInWorkers(ctx.session, { ...jsonnetStandIn(jsonnet), env: buildEnv({}) });
  const body = { engine: 'jsonnet' as const, cwd: ctx.root, ...req };
  const answer = ctx.session && pool ? await askWorker(ctx.session, pool, { tool: jsonnet, args, label: toolLabel(ctx), body, timeoutMs: ctx.timeoutMs }) : undefined;
  return (answer ?? (await runTool(ctx, jsonnet.path, args, { cwd: ctx.root, timeoutMs: ctx.timeoutMs }))).stdout;
}

export const jsonnetRenderer: Renderer<JsonnetSpec> = {
  engine: 'jsonnet',
  tool: 'jsonnet',
  warm(ctx) {
    // one worker: the others start in ~10 ms when renders need them (a change publish's jsonnet renders are mostly cached)
    if (ctx.tools.jsonnet) warmStandIn(ctx.session, jsonnetStandIn(ctx.tools.jsonnet), false);
  },
  async render(spec, ctx) {
    const jsonnet = toolFrom(ctx, 'jsonnet');
    const file = (await existing(ctx.root, spec.file, 'jsonnet file')).abs;
    const jpath: string[] = [];
    for (const j of spec.jpath) jpath.push((await existing(ctx.root, j, 'jsonnet library path')).abs);
    const vars = [...typedArgs('ext', spec.extVars), ...typedArgs('tla', spec.tlas)];
    const args = [file, ...jpath.flatMap((j) => ['-J', j]), ...vars];
    // JSONNET_PATH is not passed through (exec's env allowlist): only `jpath` reaches the import path.
    const stdout = await evaluate(ctx, jsonnet, args, { file, jpath, ext: workerVars(spec.extVars), tla: workerVars(spec.tlas) });
    let parsed: unknown;
    try {
      // JSON.parse would round integers beyond 2^53, which Kubernetes' reader keeps exact: such
      // output (16 digits in a row) is read as Kubernetes reads it (JSON is YAML); the rest, faster
      parsed = /[0-9]{16}/.test(stdout) ? parseK8sYaml(stdout, { source: 'jsonnet output' })[0] : JSON.parse(stdout);
    } catch (e) {
      throw new KilnError(`jsonnet printed invalid JSON: ${(e as Error).message}`);
    }
    const objects: K8sObject[] = [];
    collectObjects(parsed, objects);
    return {
      objects,
      command: ['jsonnet', shown(ctx, file), ...jpath.flatMap((j) => ['-J', shown(ctx, j)]), ...vars],
    };
  },
};
