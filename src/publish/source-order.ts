/** Order two source commits by ancestry in the fleet repo: the newer render must always win. */
import { ExecError } from '../exec/exec.js';
import { git } from '../git/git.js';
import type { Order } from './decide.js';

async function isAncestor(root: string, a: string, b: string): Promise<boolean | undefined> {
  try {
    await git(undefined, ['-C', root, 'merge-base', '--is-ancestor', a, b], { timeoutMs: 60_000 });
    return true;
  } catch (e) {
    if (e instanceof ExecError && e.exitCode_ === 1) return false;
    return undefined; // unknown commit (e.g. a shallow CI clone)
  }
}

export function createOrderer(root: string, ours: string): (theirs: string) => Promise<Order> {
  const memo = new Map<string, Promise<Order>>();
  return (theirs) => {
    let p = memo.get(theirs);
    if (!p) {
      p = (async (): Promise<Order> => {
        if (theirs === ours) return 'same';
        if (await isAncestor(root, theirs, ours)) return 'newer';
        const back = await isAncestor(root, ours, theirs);
        if (back) return 'older';
        return 'unordered';
      })();
      memo.set(theirs, p);
    }
    return p;
  };
}

export async function isShallow(root: string): Promise<boolean> {
  try {
    const { stdout } = await git(undefined, ['-C', root, 'rev-parse', '--is-shallow-repository']);
    return stdout.trim() === 'true';
  } catch {
    return false;
  }
}
