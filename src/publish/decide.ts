/** What to do with one branch, given what the remote holds and what we rendered. Pure. */

export type Order = 'same' | 'newer' | 'older' | 'unordered';

export type Action =
  | { kind: 'create' }
  | { kind: 'update'; parent: string }
  | { kind: 'unchanged' }
  | { kind: 'skip-older'; theirs: string }
  | { kind: 'conflict'; theirs: string | undefined; reason: string };

export interface RemoteHead {
  commit: string;
  /** Id of the head's tree without README.md and .kiln/ (what the cluster applies). */
  content: string;
  /** From the head commit's `Kiln-Source-Commit` trailer; undefined when the branch was not written by kiln. */
  sourceCommit: string | undefined;
}

/** `allowOlder`: a deliberate rollback (`kiln promote --allow-rollback`) replaces a newer source commit. */
/** `why`: the orderer's account of an 'unordered' answer (an unpushed commit, a failed fetch, diverged history). */
export function decide(head: RemoteHead | undefined, newContent: string, order: Order | undefined, force: boolean, allowOlder = false, why?: string): Action {
  if (!head) return { kind: 'create' };
  if (head.content === newContent) return { kind: 'unchanged' };
  if (force) return { kind: 'update', parent: head.commit };
  if (!head.sourceCommit) {
    return { kind: 'conflict', theirs: undefined, reason: 'its head was not written by kiln (no Kiln-Source-Commit trailer; --force overrides)' };
  }
  switch (order) {
    case 'same':
    case 'newer':
      return { kind: 'update', parent: head.commit };
    case 'older':
      return allowOlder ? { kind: 'update', parent: head.commit } : { kind: 'skip-older', theirs: head.sourceCommit };
    default:
      return { kind: 'conflict', theirs: head.sourceCommit, reason: why ?? `cannot tell whether source commit ${head.sourceCommit.slice(0, 12)} is older or newer than ours` };
  }
}

export function commitMessage(source: { commit: string; subject: string; repo: string }, extraTrailers: Record<string, string> = {}): string {
  const subject = source.subject.split('\n')[0]!.slice(0, 200);
  const lines = [`render: ${source.commit.slice(0, 12)} ${subject}`.trimEnd(), '', `Kiln-Source-Commit: ${source.commit}`, `Kiln-Source-Repo: ${source.repo}`];
  for (const [k, v] of Object.entries(extraTrailers)) lines.push(`${k}: ${v.replace(/\s*\n\s*/g, ' ')}`);
  return lines.join('\n') + '\n';
}
