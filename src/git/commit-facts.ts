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
  // a commit's facts never change: one read per commit per run (a re-publish asks twice for every head)
  const read = new Map<string, Promise<CommitFacts | undefined>>();
  const load = async (commit: string): Promise<CommitFacts | undefined> => {
    const file = hexEntryPath(dir, 'commits', commit);
    const e = file ? ((await files.read(file)) as { commit?: string; content?: unknown; sourceCommit?: unknown } | undefined) : undefined;
    return e?.commit === commit ? valid(e) : undefined;
  };
  return {
    get(commit) {
      let got = read.get(commit);
      if (!got) read.set(commit, (got = load(commit)));
      return got;
    },
    async put(commit, facts) {
      const file = hexEntryPath(dir, 'commits', commit);
      // what a read of the entry written now would give
      read.set(commit, Promise.resolve(file ? valid({ content: facts.content, sourceCommit: facts.sourceCommit ?? null }) : undefined));
      if (file) await files.write(file, JSON.stringify({ commit, content: facts.content, sourceCommit: facts.sourceCommit ?? null }));
    },
  };
}

function valid(e: { content?: unknown; sourceCommit?: unknown }): CommitFacts | undefined {
  if (typeof e.content !== 'string' || !/^[0-9a-f]{40}$/.test(e.content)) return undefined;
  return { content: e.content, sourceCommit: typeof e.sourceCommit === 'string' ? e.sourceCommit : undefined };
}
