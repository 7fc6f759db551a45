/**
 * Order two source commits by ancestry in the fleet repo: the newer render must always win. In a
 * shallow clone a missing commit is fetched by id and the history deepened until the answer is
 * certain; what stays unordered says why (never pushed, fetch failed, or really diverged).
 */
import { ExecError } from '../exec/exec.js';
import { git } from '../git/git.js';
import { sourceHistory, type SourceHistory } from '../git/history.js';
import type { Order } from './decide.js';

async function isAncestor(root: string, a: string, b: string): Promise<boolean | undefined> {
  try {
    await git(undefined, ['-C', root, 'merge-base', '--is-ancestor', a, b], { timeoutMs: 60_000 });
    return true;
  } catch (e) {
    if (e instanceof ExecError && e.exitCode_ === 1) return false;
    return undefined; // a commit the repo lacks
  }
}

export interface Orderer {
  (theirs: string): Promise<Order>;
  /** Why `theirs` is unordered, in words for a user (after `order(theirs)` said 'unordered'). */
  why(theirs: string): string | undefined;
}

export function createOrderer(history: SourceHistory | string, ours: string): Orderer {
  const h = typeof history === 'string' ? sourceHistory(history) : history;
  const memo = new Map<string, Promise<Order>>();
  const reasons = new Map<string, string>();
  const once = async (theirs: string): Promise<Order> => {
    if (theirs === ours) return 'same';
    const got = await h.fetchMissing([ours, theirs]);
    const remote = (await h.remote()) ?? 'the remote';
    if (got.unknown.includes(theirs)) {
      reasons.set(theirs, `source commit ${theirs.slice(0, 12)} is on no branch of ${remote}: it was published from a commit that was never pushed (push it, or --force to replace its render)`);
      return 'unordered';
    }
    if (got.error) {
      reasons.set(theirs, `cannot fetch source commit ${theirs.slice(0, 12)} from ${remote}: ${got.error}`);
      return 'unordered';
    }
    for (;;) {
      const [fwd, back] = [await isAncestor(h.root, theirs, ours), await isAncestor(h.root, ours, theirs)];
      if (fwd) return 'newer';
      if (back) return 'older';
      // in a shallow repo "not an ancestor" may only mean the history is cut off: fetch more of it
      if (await h.deepen([ours, theirs])) continue;
      if (fwd === undefined || back === undefined) {
        reasons.set(theirs, `cannot tell whether source commit ${theirs.slice(0, 12)} is older or newer than ours: the fleet repo lacks one of them (fetch it from ${remote})`);
      } else {
        reasons.set(theirs, `source commit ${theirs.slice(0, 12)} and ours are on diverged lines of history (--force overrides)`);
      }
      return 'unordered';
    }
  };
  const order = ((theirs: string) => {
    let p = memo.get(theirs);
    if (!p) {
      p = once(theirs);
      memo.set(theirs, p);
    }
    return p;
  }) as Orderer;
  order.why = (theirs) => reasons.get(theirs);
  return order;
}

