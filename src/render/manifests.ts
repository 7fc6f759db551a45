/** Plain manifests: files, directories (recursive) or globs inside the fleet repo, read as they are. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { KilnError } from '../errors.js';
import { parseManifests } from '../manifests/parse.js';
import type { K8sObject, ManifestsSpec } from '../model.js';
import { resolveInRoot } from '../util/paths.js';
import { byCodeUnit, existing, shown, walkFiles } from './common.js';
import type { Renderer } from './renderer.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/**
 * The files `paths` name, in order: a file as given, a directory's *.yaml/*.yml/*.json sorted, a
 * glob's matches sorted. Each file once. Nothing matched is an error: an empty render would delete
 * the objects from the cluster.
 */
export async function manifestFiles(root: string, paths: string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (abs: string) => {
    if (!seen.has(abs)) {
      seen.add(abs);
      files.push(abs);
    }
  };
  for (const p of paths) {
    let found: string[];
    if (isDynamicPattern(p)) {
      if (path.isAbsolute(p) || p.split('/').includes('..')) {
        throw new KilnError(`glob "${p}" must stay inside the fleet repo (no absolute paths, no "..")`);
      }
      const matches = await glob(p, { cwd: root, onlyFiles: true, expandDirectories: false, dot: false });
      // resolveInRoot also refuses matches that are symlinks leading out of the repo
      found = matches.sort(byCodeUnit).map((m) => resolveInRoot(root, m));
    } else {
      const { abs, stats } = await existing(root, p, 'manifests path');
      found = stats.isDirectory() ? (await walkFiles(abs, (n) => MANIFEST_FILE.test(n))).map((f) => resolveInRoot(root, path.relative(root, f))) : [abs];
    }
    if (found.length === 0) throw new KilnError(`manifests path "${p}" matched no YAML or JSON files`);
    found.forEach(add);
  }
  return files;
}

export const manifestsRenderer: Renderer<ManifestsSpec> = {
  engine: 'manifests',
  tool: null,
  async render(spec, ctx) {
    const files = await manifestFiles(ctx.root, spec.paths);
    const objects: K8sObject[] = [];
    for (const f of files) {
      const source = shown(ctx, f);
      objects.push(...parseManifests(await readFile(f, 'utf8'), { source }));
    }
    return { objects, command: ['read', ...files.map((f) => shown(ctx, f))] };
  },
};
