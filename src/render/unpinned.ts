/**
 * Inputs a render reads from outside the fleet repo at render time, which no input hash can cover: a
 * Kustomize remote base (`github.com/org/repo//path?ref=main`), a jsonnet import by absolute path or
 * from outside the repo. Pinned ones — a full commit id (`?ref=<40 hex>`, or one in a raw file URL's
 * path) or a digest — cannot move and may be cached; anything else renders every time, and `validate`
 * warns about it. Remote Helm charts need an exact version already (render refuses anything else).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Component } from '../model.js';
import type { RunMemo } from '../util/run-memo.js';
import { isInside, resolveInRoot } from '../util/paths.js';
import { statOrNull, walkFiles } from './common.js';
import { JSONNET_IMPORT, KUSTOMIZATION_FILES, jsonnetInputs, kustomizeInputs } from './input-hash.js';

/** A Kustomize remote target: any URL scheme, `git::`, scp-like `git@`, or a bare forge host path. */
const REMOTE = /^(?:[a-z][a-z0-9+.-]*::)?(?:[a-z][a-z0-9+.-]*:\/\/|[\w.-]+@[\w.-]+:|(?:github\.com|gitlab\.com|bitbucket\.org)\/)/i;

export function isRemoteTarget(s: string): boolean {
  return REMOTE.test(s.trim());
}

/** A remote target that names an immutable revision: a full commit id or a sha256 digest. */
export function isPinnedTarget(s: string): boolean {
  const [base, query = ''] = s.trim().split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  for (const k of ['ref', 'version']) if (/^[0-9a-f]{40}$/.test(params.get(k) ?? '')) return true;
  if (/\/[0-9a-f]{40}(?:\/|$)/.test(base)) return true; // raw.githubusercontent.com/org/repo/<sha>/file.yaml
  return /@sha256:[0-9a-f]{64}$/.test(base);
}

/** Fields of a kustomization that may name a remote target. */
const REMOTE_FIELDS = ['resources', 'bases', 'components'];

async function kustomizeUnpinned(root: string, rel: string): Promise<string[]> {
  let dir: string;
  try {
    dir = resolveInRoot(root, rel);
  } catch {
    return [];
  }
  const reached = new Set<string>();
  await kustomizeInputs(root, dir, reached);
  const out = new Set<string>();
  for (const d of reached) {
    if (!(await statOrNull(d))?.isDirectory()) continue;
    for (const kf of await walkFiles(d, (n) => KUSTOMIZATION_FILES.includes(n))) {
      let doc: Record<string, unknown> | null;
      try {
        doc = parseYaml(await readFile(kf, 'utf8')) as Record<string, unknown> | null;
      } catch {
        continue; // kustomize reports it
      }
      for (const field of REMOTE_FIELDS) {
        const list = doc?.[field];
        if (!Array.isArray(list)) continue;
        for (const t of list) {
          if (typeof t === 'string' && isRemoteTarget(t) && !isPinnedTarget(t)) out.add(`${path.relative(root, kf)}: ${field} ${t} (not pinned to a commit id)`);
        }
      }
    }
  }
  return [...out].sort();
}

async function jsonnetUnpinned(root: string, file: string, jpath: string[]): Promise<string[]> {
  let abs: string;
  try {
    abs = resolveInRoot(root, file);
  } catch {
    return [];
  }
  const dirs = jpath.flatMap((j) => {
    try {
      return [resolveInRoot(root, j)];
    } catch {
      return [];
    }
  });
  const files = new Set<string>();
  await jsonnetInputs(root, abs, dirs, files);
  const out = new Set<string>();
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const m of text.matchAll(JSONNET_IMPORT)) {
      const target = m[3];
      if (!target) continue;
      const inside = [path.dirname(f), ...dirs].map((b) => path.resolve(b, target)).filter((p) => isInside(root, p));
      let found = false;
      for (const p of inside) if (await statOrNull(p)) found = true;
      if (found) continue;
      // absolute, or relative but leaving the repo: read at render time from a file no hash covers
      if (path.isAbsolute(target) || inside.length === 0) out.add(`${path.relative(root, f)}: import "${target}" (outside the fleet repo)`);
    }
  }
  return [...out].sort();
}

/**
 * What a component reads at render time from outside the fleet repo, unpinned; empty when it may be
 * cached. `memo`: the run's (1,000 clusters sharing a kustomization read it once).
 */
export function unpinnedInputs(c: Component, root: string, memo?: RunMemo): Promise<string[]> {
  if (c.engine !== 'kustomize' && c.engine !== 'jsonnet') return Promise.resolve([]);
  const find = () => (c.engine === 'kustomize' ? kustomizeUnpinned(root, c.spec.path) : jsonnetUnpinned(root, c.spec.file, c.spec.jpath));
  if (!memo) return find();
  return memo.once('unpinned', JSON.stringify([root, c.engine, c.engine === 'kustomize' ? c.spec.path : [c.spec.file, c.spec.jpath]]), find);
}
