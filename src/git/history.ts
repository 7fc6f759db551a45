/**
 * The fleet repo's history as kiln needs it: CI clones are often shallow (`actions/checkout` fetches
 * one commit), so a commit kiln must order or render may be missing, or its ancestry cut off. This
 * fetches just what is needed from the source remote — commits by id, then `--deepen` in growing
 * steps, `--unshallow` last — instead of calling two commits unordered (which only `--force` passes).
 */
import { ExecError } from '../exec/exec.js';
import { git, scratchRepo } from './git.js';

export interface SourceHistory {
  root: string;
  /** The remote the fleet repo's commits come from (HEAD's upstream, else `origin`, else the only one). */
  remote(): Promise<string | undefined>;
  shallow(): Promise<boolean>;
  /**
   * Fetch `ids` the repo lacks (depth 1 in a shallow repo). Returns the ids the remote does not
   * have on any branch or tag (a commit never pushed), and throws nothing for them.
   */
  fetchMissing(ids: string[]): Promise<{ unknown: string[]; error?: string }>;
  /** Deepen the history behind `ids` one step; false once the repo is complete (nothing left to fetch). */
  deepen(ids: string[]): Promise<boolean>;
}

/** Deepening steps in commits: most orderings need a few dozen, a stale branch a few hundred. */
const STEPS = [32, 256, 2048];

export function sourceHistory(root: string): SourceHistory {
  let remote: Promise<string | undefined> | undefined;
  let shallow: Promise<boolean> | undefined;
  let step = 0;
  // fetches write the repo's shallow file and refs: one at a time
  let lock: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn, fn);
    lock = p.catch(() => undefined);
    return p;
  };
  const h: SourceHistory = {
    root,
    remote: () => (remote ??= sourceRemote(root)),
    shallow: () => (shallow ??= isShallow(root)),
    fetchMissing: (ids) =>
      serial(async () => {
        const missing = [];
        for (const id of new Set(ids)) if (!(await hasCommit(root, id))) missing.push(id);
        if (missing.length === 0) return { unknown: [] };
        const name = await h.remote();
        if (!name) return { unknown: [], error: 'the fleet repo has no remote to fetch it from' };
        const depth = (await h.shallow()) ? ['--depth=1'] : [];
        const unknown: string[] = [];
        // one by one: a single unknown id fails the whole fetch, and each must be told apart
        for (const id of missing) {
          try {
            await git(undefined, ['-C', root, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', ...depth, name, id], { timeoutMs: 600_000 });
          } catch (e) {
            const msg = e instanceof ExecError ? e.toolMessage : String(e);
            if (/not our ref|no such remote ref|couldn't find remote ref|unadvertised object/i.test(msg)) unknown.push(id);
            else return { unknown, error: msg };
          }
        }
        return { unknown };
      }),
    deepen: (ids) =>
      serial(async () => {
        if (!(await h.shallow()) || step > STEPS.length) return false; // complete, or --unshallow was tried
        const name = await h.remote();
        if (!name) return false;
        const how = step < STEPS.length ? [`--deepen=${STEPS[step]}`] : ['--unshallow'];
        step++;
        const fetch = (wants: string[]) => git(undefined, ['-C', root, 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', ...how, name, ...wants], { timeoutMs: 1_800_000 });
        const known = [];
        for (const id of new Set(ids)) if (await hasCommit(root, id)) known.push(id);
        try {
          await fetch(known);
        } catch {
          // an unpushed commit among the wants fails the fetch; the others' history is still worth having
          for (const id of known) await fetch([id]).catch(() => undefined);
        }
        shallow = isShallow(root);
        return true;
      }),
  };
  return h;
}

export async function isShallow(root: string): Promise<boolean> {
  try {
    const { stdout } = await git(undefined, ['-C', root, 'rev-parse', '--is-shallow-repository']);
    return stdout.trim() === 'true';
  } catch {
    return false;
  }
}

export async function hasCommit(root: string, id: string): Promise<boolean> {
  try {
    await git(undefined, ['-C', root, 'cat-file', '-e', `${id}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/** HEAD's upstream remote, else `origin`, else the only remote; undefined without one. */
export async function sourceRemote(root: string): Promise<string | undefined> {
  const upstream = await git(undefined, ['-C', root, 'rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']).then(
    (r) => r.stdout.trim(),
    () => '',
  );
  const names = (await git(undefined, ['-C', root, 'remote']).then((r) => r.stdout, () => '')).split('\n').filter(Boolean);
  const fromUpstream = names.filter((n) => upstream.startsWith(`${n}/`)).sort((a, b) => b.length - a.length)[0];
  if (fromUpstream) return fromUpstream;
  if (names.includes('origin')) return 'origin';
  return names.length === 1 ? names[0] : undefined;
}

/**
 * Whether `commit` is on a branch or tag of the source remote: a remote-tracking ref containing it
 * says so locally; else the remote is asked for it by id from a scratch repo (servers hand out only
 * reachable commits), so a stale or absent tracking ref never passes an unpushed commit off as pushed.
 */
export async function pushedState(history: SourceHistory, commit: string, tmpDir?: string): Promise<{ pushed: boolean; remote?: string; error?: string }> {
  const remote = await history.remote();
  if (!remote) return { pushed: false, error: 'the fleet repo has no remote' };
  const { stdout } = await git(undefined, ['-C', history.root, 'for-each-ref', '--count=1', '--format=%(refname)', '--contains', commit, `refs/remotes/${remote}/`]).catch(() => ({ stdout: '' }));
  if (stdout.trim()) return { pushed: true, remote };
  const url = (await git(undefined, ['-C', history.root, 'remote', 'get-url', remote])).stdout.trim();
  const { dir, remove } = await scratchRepo('kiln-pushed-', tmpDir);
  try {
    // tree:0 keeps it to the commit object where the server filters; one that does not just sends more
    await git(dir, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', '--filter=tree:0', url, commit], { timeoutMs: 600_000 });
    return { pushed: true, remote };
  } catch (e) {
    const msg = e instanceof ExecError ? e.toolMessage : String(e);
    if (/not our ref|no such remote ref|couldn't find remote ref|unadvertised object/i.test(msg)) return { pushed: false, remote };
    return { pushed: false, remote, error: msg };
  } finally {
    await remove();
  }
}
