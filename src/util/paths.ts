/** Every path a user writes is relative to the fleet root and must stay inside it, symlinks included. */
import { realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { KilnError, type SourcePos } from '../errors.js';

export interface PathContext {
  /** What the path is, for the error: e.g. `spec.components[0].helm.valuesFiles[1]`. */
  field?: string;
  pos?: SourcePos;
}

// Planning 1,000 clusters checks the same few dozen paths thousands of times; the answers are memoised
// per run (clearPathMemo at the start of each config load and render), never across runs.
const realpaths = new Map<string, string | null>();
const stats = new Map<string, Stats | undefined>();
// root + relative path → the absolute path it was allowed as (refusals are not kept: their errors name the caller)
const resolved = new Map<string, string>();

export function clearPathMemo(): void {
  realpaths.clear();
  stats.clear();
  resolved.clear();
}

function realpathMemo(abs: string): string | null {
  let r = realpaths.get(abs);
  if (r === undefined) {
    try {
      r = realpathSync(abs);
    } catch {
      r = null;
    }
    realpaths.set(abs, r);
  }
  return r;
}

/** `statSync` (following symlinks), memoised for the run; undefined when nothing is there. */
export function statMemo(abs: string): Stats | undefined {
  if (!stats.has(abs)) stats.set(abs, statSync(abs, { throwIfNoEntry: false }));
  return stats.get(abs);
}

/** True when `child` is `parent` or inside it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolve `rel` against `root`; refuse absolute paths, `..` escapes and symlinks that lead out.
 * A path that does not exist yet is checked lexically only (its existence is the caller's concern).
 */
export function resolveInRoot(root: string, rel: string, ctx: PathContext = {}): string {
  const key = typeof rel === 'string' ? `${root}\0${rel}` : undefined;
  const known = key === undefined ? undefined : resolved.get(key);
  if (known !== undefined) return known;
  const abs = checkInRoot(root, rel, ctx);
  if (key !== undefined) resolved.set(key, abs);
  return abs;
}

function checkInRoot(root: string, rel: string, ctx: PathContext): string {
  if (typeof rel !== 'string' || rel.length === 0) {
    throw new KilnError('empty path', { pos: ctx.pos, field: ctx.field });
  }
  if (rel.includes('\0')) {
    throw new KilnError('path contains a NUL byte', { pos: ctx.pos, field: ctx.field });
  }
  if (path.isAbsolute(rel) || /^[a-zA-Z]:[\\/]/.test(rel)) {
    throw new KilnError(`absolute path "${rel}" is not allowed`, {
      pos: ctx.pos,
      field: ctx.field,
      hint: 'write paths relative to the fleet repo root',
    });
  }
  const abs = path.resolve(root, rel);
  if (!isInside(root, abs)) {
    throw new KilnError(`path "${rel}" leads outside the fleet repo`, {
      pos: ctx.pos,
      field: ctx.field,
      hint: 'every referenced file must live inside the fleet repo',
    });
  }
  const real = realpathMemo(abs);
  if (real === null) return abs;
  const realRoot = realpathMemo(root) ?? root;
  if (!isInside(realRoot, real)) {
    throw new KilnError(`path "${rel}" is a symlink that leads outside the fleet repo`, {
      pos: ctx.pos,
      field: ctx.field,
      hint: 'every referenced file must live inside the fleet repo',
    });
  }
  return abs;
}

/** Posix-style path relative to root, for provenance and messages. */
export function relToRoot(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/') || '.';
}
