/**
 * A component's input hash: everything that can change its rendered output, and nothing else —
 * the resolved spec, the Capabilities its engine sees, the tool version, and the bytes of every local
 * file it reads. Provenance records it; a render cache can trust it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Component } from '../model.js';
import { isInside, resolveInRoot } from '../util/paths.js';
import { onceIn } from '../util/run-memo.js';
import { byCodeUnit, stableJson, statOrNull, walkFiles } from './common.js';
import { chartSource } from './helm.js';
import { manifestFiles } from './manifests.js';
import type { RenderContext } from './renderer.js';
import { findTools } from './tools.js';

/**
 * Bumped when kiln's own handling of tool output changes (e.g. the test-hook filter; 2: output read
 * as Kubernetes reads YAML, so renders cached with the YAML 1.1 reading are not reused).
 */
const RENDER_LOGIC = 'kiln-render/2';

// Memoised in the run's session (RenderScope.memo), never across runs:
// - per absolute path: 1,000 clusters sharing a chart read it once;
// - per (engine, root, the spec fields that locate files): the file set a kustomization, a jsonnet
//   file's imports or a manifests glob reach is walked once, not once per cluster.
// Without a session (library use) every call computes afresh.
type PathHashes = Map<string, Promise<string>>;
type InputSets = Map<string, Promise<Array<[string, string | null]>>>;
const pathHashesOf = (ctx: RenderContext): PathHashes => ctx.session?.memo.map('input-hash:paths') ?? new Map();
const inputSetsOf = (ctx: RenderContext): InputSets => ctx.session?.memo.map('input-hash:sets') ?? new Map();

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `file:<sha>`, `dir:<sha of sorted (name, sha) pairs>`, or `absent`; `pathHashes`: the run's memo. */
export function hashPath(abs: string, pathHashes: PathHashes = new Map()): Promise<string> {
  return onceIn(pathHashes, abs, () => computePathHash(abs, pathHashes));
}

async function computePathHash(abs: string, pathHashes: PathHashes): Promise<string> {
  const s = await statOrNull(abs);
  if (!s) return 'absent';
  if (s.isFile()) return `file:${sha256(await readFile(abs))}`;
  if (!s.isDirectory()) return 'other';
  const files = await walkFiles(abs);
  const entries = await Promise.all(files.map(async (f) => [path.relative(abs, f).split(path.sep).join('/'), await hashPath(f, pathHashes)]));
  return `dir:${sha256(JSON.stringify(entries))}`;
}

/** A spec path as an absolute path inside the root, or null when it is not a valid one (render reports that). */
function inRoot(root: string, rel: string): string | null {
  try {
    return resolveInRoot(root, rel);
  } catch {
    return null;
  }
}

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** A kustomization dir plus whatever its kustomization files reach outside it (bases, components, patch files…), recursively. */
export async function kustomizeInputs(root: string, dir: string, out: Set<string>): Promise<void> {
  if (out.has(dir)) return;
  out.add(dir);
  const s = await statOrNull(dir);
  if (!s?.isDirectory()) return;
  // Every kustomization in the tree may point outside it; any string that resolves to an existing
  // path in the repo counts — over-inclusion only costs a cache miss, omission a stale cache hit.
  const kfiles = await walkFiles(dir, (n) => KUSTOMIZATION_FILES.includes(n));
  for (const kf of kfiles) {
    let doc: unknown;
    try {
      doc = parseYaml(await readFile(kf, 'utf8'));
    } catch {
      continue;
    }
    for (const str of strings(doc)) {
      for (const cand of str.includes('=') ? [str, str.slice(str.indexOf('=') + 1)] : [str]) {
        if (!cand || cand.includes('://') || cand.includes('\n')) continue;
        const abs = path.resolve(path.dirname(kf), cand);
        if (!isInside(root, abs) || isInside(dir, abs) || !(await statOrNull(abs))) continue;
        if ((await statOrNull(abs))?.isDirectory()) await kustomizeInputs(root, abs, out);
        else out.add(abs);
      }
    }
  }
}

function* strings(v: unknown): Generator<string> {
  if (typeof v === 'string') yield v;
  else if (Array.isArray(v)) for (const x of v) yield* strings(x);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) yield* strings(x);
}

export const JSONNET_IMPORT = /\bimport(str|bin)?\s+@?(['"])((?:\\.|(?!\2)[^\\\n])*)\2/g;

/** The jsonnet file and everything it imports (relative to the importer, then the jpath dirs), recursively. */
export async function jsonnetInputs(root: string, file: string, jpath: string[], out: Set<string>): Promise<void> {
  if (out.has(file)) return;
  out.add(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return;
  }
  for (const m of text.matchAll(JSONNET_IMPORT)) {
    const [, kind, , target] = m;
    if (!target) continue;
    for (const base of [path.dirname(file), ...jpath]) {
      const abs = path.resolve(base, target);
      if (!isInside(root, abs) || !(await statOrNull(abs))?.isFile()) continue;
      if (kind) out.add(abs); // importstr/importbin: data, not code
      else await jsonnetInputs(root, abs, jpath, out);
    }
  }
}

/**
 * The existing local files and directories a component reads (absolute), for "is it in the commit?";
 * `memo`: shared by the calls of one question, so 1,000 clusters' identical components walk once.
 */
export async function componentInputPaths(c: Component, root: string, memo: Map<string, unknown> = new Map()): Promise<string[]> {
  return (await localInputsOnce(c, root, memo as InputSets)).map(([, abs]) => abs).filter((a): a is string => a !== null);
}

/** localInputs, memoised for the engines that walk files (the walk depends only on the key's fields). */
function localInputsOnce(c: Component, root: string, inputSets: InputSets): Promise<Array<[string, string | null]>> {
  let locate: unknown;
  if (c.engine === 'kustomize') locate = c.spec.path;
  else if (c.engine === 'jsonnet') locate = [c.spec.file, c.spec.jpath];
  else if (c.engine === 'manifests') locate = c.spec.paths;
  else return localInputs(c, root);
  return onceIn(inputSets, `${c.engine}\0${root}\0${JSON.stringify(locate)}`, () => localInputs(c, root));
}

/** Absolute paths (or null for invalid ones) of every local input of a component. */
async function localInputs(c: Component, root: string): Promise<Array<[string, string | null]>> {
  const at = (rel: string): [string, string | null] => [rel, inRoot(root, rel)];
  switch (c.engine) {
    case 'helm': {
      let local = true;
      try {
        local = chartSource(c.spec).kind === 'local';
      } catch {
        local = false; // remote without a pinned version: the spec itself is the input (render refuses it)
      }
      return [...(local ? [at(c.spec.chart)] : []), ...c.spec.valuesFiles.map((v) => at(v.path))];
    }
    case 'kustomize': {
      const dir = inRoot(root, c.spec.path);
      if (!dir) return [[c.spec.path, null]];
      const all = new Set<string>();
      await kustomizeInputs(root, dir, all);
      return [...all].sort(byCodeUnit).map((a) => [path.relative(root, a), a]);
    }
    case 'jsonnet': {
      const file = inRoot(root, c.spec.file);
      const jpath = c.spec.jpath.map((j) => inRoot(root, j)).filter((j): j is string => j !== null);
      const all = new Set<string>();
      if (file) await jsonnetInputs(root, file, jpath, all);
      return [...(file ? [] : [[c.spec.file, null] as [string, null]]), ...[...all].sort(byCodeUnit).map((a) => [path.relative(root, a), a] as [string, string]), ...c.spec.jpath.map(at)];
    }
    case 'ytt':
      return [...c.spec.paths.map(at), ...c.spec.dataValuesFiles.map(at)];
    case 'manifests':
      try {
        return (await manifestFiles(root, c.spec.paths)).map((a) => [path.relative(root, a), a]);
      } catch (e) {
        return [[`unresolvable: ${(e as Error).message}`, null]];
      }
  }
}

async function toolVersion(c: Component, ctx: RenderContext): Promise<string | null> {
  if (c.engine === 'manifests') return null;
  const known = ctx.tools[c.engine]?.version;
  if (known) return known;
  try {
    return (await findTools([c.engine], {}))[c.engine]?.version ?? 'missing';
  } catch {
    return 'missing';
  }
}

/**
 * Clusters that share a resolved profile (fleet/resolve-memo.ts) share its component objects, and a
 * publish asks for every component's hash twice (its cluster's key, then its render): 1,000 clusters ×
 * 5 components were ~9,000 hashings of ~1,100 distinct components. Within a run the files and tools
 * are fixed (the path and input-set memos assume it too), so a component's hash is kept per (object,
 * root, Capabilities): Helm's differ by the cluster's Kubernetes version and API versions.
 */
export function inputHash(component: Component, ctx: RenderContext): Promise<string> {
  const caps = component.engine === 'helm' ? { kubeVersion: ctx.cluster.kubeVersion ?? null, apiVersions: [...ctx.cluster.apiVersions].sort(byCodeUnit) } : null;
  const memo = ctx.session?.memo.weak<Component, Map<string, Promise<string>>>('input-hash:components');
  if (!memo) return computeInputHash(component, ctx, caps);
  const key = `${ctx.root}\0${ctx.tools[component.engine as keyof typeof ctx.tools]?.version ?? ''}\0${caps ? JSON.stringify(caps) : ''}`;
  let byKey = memo.get(component);
  if (!byKey) memo.set(component, (byKey = new Map()));
  return onceIn(byKey, key, () => computeInputHash(component, ctx, caps));
}

async function computeInputHash(component: Component, ctx: RenderContext, caps: { kubeVersion: string | null; apiVersions: string[] } | null): Promise<string> {
  const [version, inputs] = await Promise.all([toolVersion(component, ctx), localInputsOnce(component, ctx.root, inputSetsOf(ctx))]);
  const pathHashes = pathHashesOf(ctx);
  const files = await Promise.all(inputs.map(async ([rel, abs]) => [rel.split(path.sep).join('/'), abs ? await hashPath(abs, pathHashes) : 'invalid']));
  const material = stableJson({ logic: RENDER_LOGIC, engine: component.engine, spec: component.spec, caps, tool: version, files });
  return `sha256:${sha256(material)}`;
}
