/**
 * With spec.output.hydrator, Argo CD's `{"drySha"}` note on every hydrated head (git/notes.ts); kiln's own
 * verified-source notes ride in the branches' atomic push (publish.ts `planNotes`).
 */
import { KilnError } from '../errors.js';
import type { CommitFactsStore } from '../git/commit-facts.js';
import { HYDRATOR_NOTES, readSourceNotes, writeSourceNotes } from '../git/notes.js';
import { parseCommit, readObjects, trailers } from '../git/remote.js';
import type { BranchOutcome, PublishEngineOptions } from './publish.js';
import type { Orderer } from './source-order.js';

/**
 * As Argo CD's commit server: every hydrated head carries `{"drySha"}` in refs/notes/hydrator.metadata
 * (GitOps Promoter reads which dry commit a proposed branch is at from it): heads written now, and
 * heads left unchanged whose noted dry commit is older than ours. A newer note is never replaced.
 */
export async function noteHydrated(work: string, o: PublishEngineOptions, order: Orderer, outcomes: Map<string, BranchOutcome>, remoteHeads: Map<string, string>): Promise<void> {
  const written = [...outcomes.values()].filter((b) => (b.action === 'created' || b.action === 'updated') && b.commit);
  const unchanged = [...outcomes.values()].filter((b) => b.action === 'unchanged' && b.commit);
  try {
    const noted = await readSourceNotes(work, o.url, unchanged.map((b) => b.commit!), HYDRATOR_NOTES);
    const add = new Map(written.map((b) => [b.commit!, o.source.commit]));
    const trailer = await headSources(work, unchanged.filter((b) => !noted.has(b.commit!)).map((b) => b.commit!), o.commitFacts);
    for (const b of unchanged) {
      const carried = noted.get(b.commit!) ?? trailer.get(b.commit!);
      if (!carried || (carried !== o.source.commit && (await order(carried)) === 'newer')) add.set(b.commit!, o.source.commit);
    }
    const heads = new Set([...remoteHeads.values(), ...[...outcomes.values()].map((b) => b.commit).filter((c): c is string => Boolean(c))]);
    await writeSourceNotes(work, o.url, add, heads, async (n) => (await order(n)) === 'newer', 5, HYDRATOR_NOTES);
  } catch (e) {
    if (!(e instanceof KilnError)) throw e;
    o.logger.warn(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  }
}

/**
 * The `Kiln-Source-Commit` trailer of each head: from the fetched commit, else from remembered commit
 * facts. One `cat-file --batch` for all (a no-change re-publish asks for every head of the fleet);
 * none for `unfetched` heads (known up to date from commit facts, never fetched into `work`).
 */
export async function headSources(work: string, commits: string[], facts?: CommitFactsStore, unfetched: ReadonlySet<string> = new Set()): Promise<Map<string, string | undefined>> {
  const ids = [...new Set(commits)];
  const objects = await readObjects(work, ids.filter((c) => !unfetched.has(c)));
  const out = new Map<string, string | undefined>();
  for (const c of ids) {
    const o = objects.get(c);
    out.set(c, o?.type === 'commit' ? trailers(parseCommit(o.body).message).get('Kiln-Source-Commit') : (await facts?.get(c))?.sourceCommit);
  }
  return out;
}
