/**
 * What a published commit deploys, remembered across runs: `<cache>/commits/<id>.json` holds its
 * content id (the tree without README.md and .kiln/) and its Kiln-Source-Commit trailer. A commit
 * id names its tree and message for good, so an entry never goes stale; with it a publish can tell
 * that a branch is up to date from `ls-remote` alone, without fetching the branch.
 */
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';

export interface CommitFacts {
  content: string;
  sourceCommit: string | undefined;
}

export interface CommitFactsStore {
  get(commit: string): Promise<CommitFacts | undefined>;
  put(commit: string, facts: CommitFacts): Promise<void>;
}

export function diskCommitFacts(dir: string): CommitFactsStore {
  const files = cacheFiles();
  return {
    async get(commit) {
      const file = hexEntryPath(dir, 'commits', commit);
      const e = file ? ((await files.read(file)) as { commit?: string; content?: unknown; sourceCommit?: unknown } | undefined) : undefined;
      if (!e || e.commit !== commit || typeof e.content !== 'string' || !/^[0-9a-f]{40}$/.test(e.content)) return undefined;
      return { content: e.content, sourceCommit: typeof e.sourceCommit === 'string' ? e.sourceCommit : undefined };
    },
    async put(commit, facts) {
      const file = hexEntryPath(dir, 'commits', commit);
      if (file) await files.write(file, JSON.stringify({ commit, content: facts.content, sourceCommit: facts.sourceCommit ?? null }));
    },
  };
}
