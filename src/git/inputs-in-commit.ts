/**
 * Which files a render reads that its source commit does not hold: ignored (a `.gitignore`d
 * `charts/*` of vendored chart dependencies) or untracked. `git status --porcelain` does not show
 * ignored files, yet the tools read them from the work tree, so a clone of the commit could not
 * reproduce such a render. publish renders from the commit; render and diff of the work tree warn.
 */
import path from 'node:path';
import { ExecError, run } from '../exec/exec.js';
import type { ClusterPlan } from '../fleet/plan.js';
import { componentInputPaths } from '../render/input-hash.js';
import { statOrNull, walkFiles } from '../render/common.js';
import { someFiles } from './work-tree-changes.js';

/** Files (relative to `root`, sorted) read by the plans' components and not tracked by git; [] outside git. */
export async function inputsNotInCommit(root: string, plans: ClusterPlan[]): Promise<string[]> {
  let tracked: Set<string>;
  try {
    const { stdout } = await run('git', ['-C', root, 'ls-files', '-z', '--cached'], { timeoutMs: 120_000 });
    tracked = new Set(stdout.split('\0').filter(Boolean));
  } catch (e) {
    if (e instanceof ExecError) return []; // not a git work tree: nothing to reproduce from
    throw e;
  }
  const seen = new Set<string>();
  const memo = new Map<string, unknown>();
  for (const p of plans) for (const prof of p.profiles) for (const c of prof.components) for (const abs of await componentInputPaths(c, root, memo)) seen.add(abs);
  const files = new Set<string>();
  for (const abs of seen) {
    const s = await statOrNull(abs);
    if (s?.isDirectory()) for (const f of await walkFiles(abs)) files.add(f);
    else if (s?.isFile()) files.add(abs);
  }
  const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/');
  return [...files].map(rel).filter((f) => !f.startsWith('../') && !tracked.has(f)).sort();
}

/** One warning line naming the files (the first few); `outcome` says what this command does about it. */
export function notInCommitMessage(files: string[], commit: string | undefined, outcome = 'publish renders from the commit, without them'): string {
  const shown = someFiles(files);
  const at = commit && commit !== 'unknown' ? `commit ${commit.slice(0, 12)}` : 'the source commit';
  return `${files.length} input file(s) read from the work tree are ignored or untracked by git, so ${at} does not hold them: ${shown}; ${outcome} (commit them with git add -f, or drop them from .gitignore)`;
}
