/**
 * The fleet repo as it stood at a commit, unpacked with `git archive` into a temp dir: rendering
 * history (diff --base/--head, promote) never touches the user's work tree or index.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from '../options.js';
import { KilnError } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import { git, repoTop } from './git.js';
import { sourceHistory, type SourceHistory } from './history.js';
import { sourceInfo, type SourceInfo } from './source.js';

/** A full commit id in the fleet repo, or a one-line error. */
export async function resolveCommit(root: string, rev: string, history: SourceHistory = sourceHistory(root)): Promise<string> {
  const parse = async () => (await git(undefined, ['-C', root, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`])).stdout.trim();
  try {
    return await parse();
  } catch (e) {
    // a shallow CI clone lacks most commits: fetch the one asked for (by id, or a remote branch) and retry
    if (await fetchRev(history, rev)) {
      const got = await parse().catch(() => undefined);
      if (got) return got;
    }
    throw new KilnError(`"${rev}" is not a commit of the fleet repo, nor one its remote has`, { hint: 'check the name; a commit only on your machine must be pushed first', cause: e instanceof ExecError ? e : undefined });
  }
}

async function fetchRev(history: SourceHistory, rev: string): Promise<boolean> {
  if (/^[0-9a-f]{40}$/.test(rev)) {
    const r = await history.fetchMissing([rev]);
    return !r.error && r.unknown.length === 0;
  }
  const remote = await history.remote();
  if (!remote || !rev.startsWith(`${remote}/`)) return false;
  const branch = rev.slice(remote.length + 1);
  const depth = (await history.shallow()) ? ['--depth=1'] : [];
  try {
    await git(undefined, ['-C', history.root, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', ...depth, remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`], { timeoutMs: 600_000 });
    return true;
  } catch {
    return false;
  }
}

export interface Snapshot {
  /** Global options pointing into the unpacked tree (`cwd`, `config` mapped). */
  g: GlobalOptions;
  source: SourceInfo;
  commit: string;
  /** The unpacked tree: the repo's top as it stood at `commit`. */
  tree: string;
  /** Removes the unpacked tree; asked again, the same removal. */
  cleanup(): Promise<void>;
}

/**
 * The fleet repo as it stood at `ref`, unpacked into a temp dir. `known`: the source info the caller
 * already asked git for about this very commit (publish's HEAD), so it is not asked again.
 */
export async function snapshotAt(g: GlobalOptions, ref: string, known?: SourceInfo): Promise<Snapshot> {
  const top = await repoTop(g.cwd); // first: outside a repo, say so rather than "not a commit"
  // a full id the caller read from git (rev-parse HEAD) names a commit that exists
  const commit = known?.commit === ref && /^[0-9a-f]{40}$/.test(ref) ? ref : await resolveCommit(g.cwd, ref);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kiln-at-'));
  try {
    const tree = path.join(tmp, 'tree');
    await mkdir(tree);
    const tar = path.join(tmp, 'src.tar');
    await git(undefined, ['-C', top, 'archive', '--format=tar', '-o', tar, commit]);
    await run('tar', ['-xf', tar, '-C', tree], { timeoutMs: 600_000 });
    await rm(tar);
    const inside = (p: string) => path.join(tree, path.relative(top, p));
    // the ref and subject do not depend on where in the repo git was asked; the repo's fallback
    // name (file://<dir>, without an origin) does: reused only when asked at the top
    const reuse = known?.commit === commit ? known : undefined;
    const source = reuse && path.resolve(g.cwd) === top ? { ...reuse, dirty: false } : await sourceInfo(top, { commit, dirty: false, ...(reuse ? { ref: reuse.ref, subject: reuse.subject } : {}) });
    let removed: Promise<void> | undefined;
    const cleanup = () => (removed ??= rm(tmp, { recursive: true, force: true }));
    return { g: { ...g, cwd: inside(g.cwd), config: g.config && inside(g.config) }, source, commit, tree, cleanup };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
