/**
 * What makes the fleet repo's work tree differ from its commit, as `git status` sees it, less kiln's
 * own outputs: a `render --out` directory inside the repo, a `diff --out-file` markdown, the cache.
 * Those are written by kiln from the commit and read by nothing it renders, so they must not make a
 * publish refuse or a render's metadata say `sourceDirty`.
 */
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ExecError, run } from '../exec/exec.js';
import { DIFF_MARKER } from '../diff/model.js';
import { cacheDir } from '../options.js';
import { isInside } from '../util/paths.js';
import { statOrNull } from '../render/common.js';

/** One changed path under `root`, as `git status --short` shows it (`M kiln.yaml`, `?? notes.md`). */
export interface WorkTreeChange {
  /** Two-letter porcelain status, e.g. ` M`, `A `, `??`. */
  status: string;
  /** Relative to `root`, `/`-separated; an untracked directory ends with `/`. */
  path: string;
}

/** Changes under `root` (sorted by path), kiln's own outputs left out; [] outside git. */
export async function workTreeChanges(root: string, env = process.env): Promise<WorkTreeChange[]> {
  let stdout: string;
  let top: string;
  try {
    // --no-optional-locks: a status run beside another git process must not take the index lock
    const [status, toplevel] = await Promise.all([
      run('git', ['--no-optional-locks', '-C', root, 'status', '--porcelain=v1', '-z', '--untracked-files=normal', '--', '.'], { timeoutMs: 120_000 }),
      run('git', ['-C', root, 'rev-parse', '--show-toplevel'], { timeoutMs: 30_000 }),
    ]);
    stdout = status.stdout;
    top = toplevel.stdout.trim();
  } catch (e) {
    if (e instanceof ExecError) return []; // not a git work tree: nothing to compare with
    throw e;
  }
  const entries = stdout.split('\0');
  const out: WorkTreeChange[] = [];
  const cache = cacheDir(env);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.length < 4) continue;
    const status = e.slice(0, 2);
    const rel = e.slice(3); // porcelain paths are relative to the repo's top, whatever the cwd
    if (status[0] === 'R' || status[0] === 'C') i++; // the rename's source path follows
    const abs = path.join(top, rel);
    if (status === '??' && (isInside(cache, abs) || (await isKilnOutput(abs)))) continue;
    const shown = path.relative(root, abs).split(path.sep).join('/') + (rel.endsWith('/') ? '/' : '');
    out.push({ status, path: shown });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * An untracked path kiln wrote: a diff markdown, a `render --out` dir or one cluster's dir in it, or
 * a directory holding only such things (a few levels down; anything else in there is the user's).
 */
async function isKilnOutput(abs: string, depth = 0): Promise<boolean> {
  const s = await statOrNull(abs);
  if (s?.isDirectory()) {
    if (await statOrNull(path.join(abs, '.kiln', 'metadata.yaml'))) return true;
    if (depth >= 3) return false;
    const children = await readdir(abs).catch(() => []);
    if (!children.length) return false;
    for (const c of children) if (!(await isKilnOutput(path.join(abs, c), depth + 1))) return false;
    return true;
  }
  if (s?.isFile() && abs.endsWith('.md')) {
    const fh = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(DIFF_MARKER.length);
      await fh.read(buf, 0, buf.length, 0);
      return buf.toString('utf8') === DIFF_MARKER;
    } finally {
      await fh.close();
    }
  }
  return false;
}

/** `a, b, c and 4 more`: the first few of a list of files named in one message line. */
export function someFiles(files: string[], shown = 5): string {
  return files.slice(0, shown).join(', ') + (files.length > shown ? ` and ${files.length - shown} more` : '');
}

/** `M kiln.yaml, ?? notes.md`: changes as git's short status names them. */
export function shownChanges(changes: WorkTreeChange[], shown = 8): string {
  return someFiles(
    changes.map((c) => `${c.status.trim()} ${c.path}`),
    shown,
  );
}
