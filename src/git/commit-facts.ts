/**
 * What a published commit deploys, remembered across runs: `<cache>/commits/` (packed, util/entry-pack.ts) holds its
 * content id (the tree without README.md and .kiln/) and its Kiln-Source-Commit trailer. A commit
 * id names its tree and message for good, so an entry never goes stale; with it a publish can tell
 * that a branch is up to date from `ls-remote` alone, without fetching the branch.
 */
import { entryPack } from '../util/entry-pack.js';

export interface CommitFacts {
  content: string;
  sourceCommit: string | undefined;
}

export interface CommitFactsStore {
  get(commit: string): Promise<CommitFacts | undefined>;
  put(commit: string, facts: CommitFacts): Promise<void>;
  /** Keep what this run learnt for the next (util/entry-pack.ts); never throws. */
  flush(): void;
}

export function diskCommitFacts(dir: string, maxAgeDays: number): CommitFactsStore {
  const pack = entryPack(dir, 'commits', { maxAgeDays });
  const id = (commit: string) => /^[0-9a-f]{40,64}$/.test(commit);
  return {
    async get(commit) {
      return id(commit) ? valid((pack.get(commit) ?? {}) as { content?: unknown; sourceCommit?: unknown }) : undefined;
    },
    async put(commit, facts) {
      if (id(commit)) pack.put(commit, { content: facts.content, sourceCommit: facts.sourceCommit ?? null });
    },
    flush: () => pack.flush(),
  };
}

function valid(e: { content?: unknown; sourceCommit?: unknown }): CommitFacts | undefined {
  if (typeof e.content !== 'string' || !/^[0-9a-f]{40}$/.test(e.content)) return undefined;
  return { content: e.content, sourceCommit: typeof e.sourceCommit === 'string' ? e.sourceCommit : undefined };
}
