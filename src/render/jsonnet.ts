/**
 * Jsonnet: typed external variables and top-level arguments (strings as `-str`, everything else as
 * JSON `-code`), library paths, and every output shape kubecfg/Tanka users write.
 */
import { KilnError } from '../errors.js';
import { parseK8sYaml, pushObjects } from '../manifests/parse.js';
import type { JsonnetSpec, K8sObject } from '../model.js';
import { byCodeUnit, existing, runTool, shown, toolFrom } from './common.js';
import type { Renderer } from './renderer.js';

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

export const jsonnetRenderer: Renderer<JsonnetSpec> = {
  engine: 'jsonnet',
  tool: 'jsonnet',
  async render(spec, ctx) {
    const jsonnet = toolFrom(ctx, 'jsonnet');
    const file = (await existing(ctx.root, spec.file, 'jsonnet file')).abs;
    const jpath: string[] = [];
    for (const j of spec.jpath) jpath.push((await existing(ctx.root, j, 'jsonnet library path')).abs);
    const vars = [...typedArgs('ext', spec.extVars), ...typedArgs('tla', spec.tlas)];
    const args = [file, ...jpath.flatMap((j) => ['-J', j]), ...vars];
    // JSONNET_PATH is not passed through (exec's env allowlist): only `jpath` reaches the import path.
    const { stdout } = await runTool(ctx, jsonnet.path, args, { cwd: ctx.root, timeoutMs: ctx.timeoutMs });
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
