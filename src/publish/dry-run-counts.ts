/**
 * `publish --dry-run`: what each branch that would move would change, counted by `kiln diff`'s rule
 * (objects, default ignores, the profiles' `diffIgnore`) — the same numbers `diff` and `promote` give.
 */
import { counts, type CompareOptions } from '../diff/compare.js';
import { diffBranches } from '../diff/branch-diff.js';
import { git } from '../git/git.js';
import { fetchHeads } from '../git/remote.js';
import type { BranchOutcome } from './publish.js';

export interface WouldMove {
  branch: string;
  cluster: string;
  environment: string;
  /** The head it would replace; absent for a branch it would create. */
  parent?: string;
  files: Map<string, string>;
}

export async function dryRunCounts(work: string, url: string, moves: WouldMove[], remoteHeads: Map<string, string>, cmp?: CompareOptions): Promise<Map<string, { added: number; changed: number; removed: number }>> {
  const updates = moves.filter((m) => m.parent);
  await fetchHeads(work, url, updates.map((m) => m.branch), remoteHeads);
  const sides = [];
  for (const m of moves) {
    let before: Map<string, string> | undefined;
    if (m.parent) {
      const { stdout } = await git(work, ['ls-tree', '-r', '-z', m.parent]);
      before = new Map();
      for (const entry of stdout.split('\0')) {
        const x = /^\d+ blob ([0-9a-f]{40})\t(.+)$/s.exec(entry);
        if (x) before.set(x[2]!, x[1]!);
      }
    }
    sides.push({ branch: m.branch, cluster: m.cluster, environment: m.environment, before, after: m.files });
  }
  const diffs = await diffBranches(work, sides, cmp);
  return new Map(diffs.map((d) => [d.summary.branch, counts(d.objects)]));
}

