/**
 * Publish rendered clusters to their branches: read the remote heads, render, write commits with
 * fast-import (only for trees that changed), push fast-forwards; on a lost race, re-read and retry
 * with the already written trees. Only the push changes the remote, and git updates each ref
 * atomically, so an interrupted publish leaves every branch untouched or complete.
 */
import { ExitCode, InterruptedError, KilnError } from '../errors.js';
import { preloadExeca } from '../exec/exec.js';
import { scratchRepo } from '../git/git.js';
import type { CommitFactsStore } from '../git/commit-facts.js';
import type { SourceHistory } from '../git/history.js';
import { dryCommitOf, NOTES_REF, fetchNotes, notedSources, notesCommit, readSourceNotes } from '../git/notes.js';
import { headSources, noteHydrated } from './head-notes.js';
import { FastImport, commitTree } from '../git/fast-import.js';
import type { GitSigner } from '../sign/signer.js';
import { branchIds, contentIdOfEntries, HYDRATOR_METADATA, parseTree } from '../git/objects.js';
import { fetchHeads, lsRemoteHeads, parseCommit, push, readObjects, staleLocksError, trailers, type ExtraRef, type PushResult, type PushUpdate } from '../git/remote.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import { METADATA_PATH } from '../manifests/tree.js';
import { commitMessage, decide, type Action, type RemoteHead } from './decide.js';
import { metadataAt, removedProfiles, type ProfileRemoval } from './removed-profiles.js';
import type { CompareOptions } from '../diff/compare.js';
import type { WouldMove } from './dry-run-counts.js';
import { createOrderer, type Orderer } from './source-order.js';
import { holdUntil } from '../util/hold-until.js';

export interface BranchWork {
  branch: string;
  cluster: string;
  environment: string;
}

export interface RenderedBranch extends BranchWork {
  files: Map<string, string>;
}

export interface BranchOutcome extends BranchWork {
  action: 'created' | 'updated' | 'unchanged' | 'skipped-older' | 'conflict';
  commit?: string;
  previous?: string;
  reason?: string;
  /** Profiles this branch's clusters no longer get (everything they deployed there is deleted). */
  removedProfiles?: ProfileRemoval[];
  /** `--dry-run`: the objects the publish would add, change and remove (kiln diff's counter). */
  changes?: { added: number; changed: number; removed: number };
}

export interface PublishEngineOptions {
  root: string;
  /** How `--dry-run` counts a branch's changes: `kiln diff`'s rule for this fleet (its profiles' diffIgnore). */
  compare?: CompareOptions;
  /** The fleet repo's history, shared by every ordering of this run (fetches and deepens a shallow clone). */
  history?: SourceHistory;
  url: string;
  source: { commit: string; subject: string; repo: string };
  tmpDir: string;
  dryRun: boolean;
  force: boolean;
  /** Update branches that carry a newer source commit (a rollback) instead of leaving them alone. */
  allowOlder?: boolean;
  /** Told once the remote's heads say a branch will render, before its heads are fetched (the render workers start then). */
  rendering?: () => void;
  maxAttempts: number;
  atomic: boolean;
  logger: Logger;
  trailers?: Record<string, string>;
  /** Produces the files of every branch not in `skip`; called once, streaming. */
  render: (onBranch: (b: RenderedBranch) => Promise<void>, skip: ReadonlySet<string>) => Promise<void>;
  /** What published commits deploy, kept across runs (git/commit-facts.ts). */
  commitFacts?: CommitFactsStore;
  /** The remote's heads, when the caller listed them already (ls-remote while it planned). */
  remoteHeads?: Map<string, string>;
  /**
   * Branches that already hold what this run would write, told from their heads' content as
   * commitFacts knows it (branch → content id): they are neither fetched nor rendered.
   */
  upToDate?: (known: Map<string, string>) => Promise<Set<string>>;
  branches: BranchWork[];
  sleep?: (ms: number) => Promise<void>;
  /** The run's interrupt: checked before each push, so an interrupted publish pushes nothing more. */
  signal?: AbortSignal;
  /** The command an interrupted run names to finish the job (default publish). */
  rerun?: string;
  /**
   * After the push (not on a dry run): the scratch repo, which holds every commit this run wrote,
   * and each branch's head as published (created, updated or unchanged). OCI publishing hangs here.
   */
  afterPush?: (work: string, heads: Map<string, string>) => Promise<void>;
  /** Sign every commit written (git's fast-import cannot sign: each is re-made with `commit-tree -S`). */
  gitSigner?: GitSigner;
  /**
   * The branch a missing branch starts from (its head becomes the first commit's parent): a
   * hydrator's `<branch>-next` starts from `<branch>`, so the promoter's PR between them merges.
   */
  startFrom?: (branch: string) => string | undefined;
  /** spec.output.hydrator: also note every published head's dry commit under refs/notes/hydrator.metadata. */
  hydratorNotes?: boolean;
  /** Called once the first push is under way: work of the caller's that need not wait for it (writing what the run learnt). */
  whilePushing?: () => void;
  /** The run's progress display: the fetch, write and push stages. */
  progress?: Progress;
}

/**
 * Rendered branches held while the remote's heads are still being fetched (their files in memory):
 * ~1 s of rendering at 1,000 clusters; past it, the render waits for the heads as it did before.
 */
const HELD_BRANCHES = 512;

interface Pending extends BranchWork {
  /** Deployed content (see contentId), compared against the remote on every attempt. */
  content: string;
  /** The full tree fast-import wrote, reused for retries. */
  tree: string;
  commit?: string;
  mark?: number;
  parent?: string;
}

export async function publishBranches(o: PublishEngineOptions): Promise<{ outcomes: BranchOutcome[]; attempts: number; remoteHeads: Map<string, string> }> {
  // the remote's heads are listed while the scratch repo is made (two git processes, neither waits)
  const listing = o.remoteHeads ? Promise.resolve(o.remoteHeads) : lsRemoteHeads(o.url);
  listing.catch(() => undefined); // awaited below; a failed scratch repo is the error then
  const { dir: work, remove } = await scratchRepo('publish-', o.tmpDir).catch(async (e: unknown) => {
    await listing.catch(() => undefined);
    throw e;
  });
  try {
    const order = createOrderer(o.history ?? o.root, o.source.commit);
    const message = commitMessage(o.source, o.trailers);
    const outcomes = new Map<string, BranchOutcome>();
    const fetching = o.progress?.stage('fetch');
    let remoteHeads = await listing;
    const skip = await upToDate(o, remoteHeads);
    // a branch will render: the head fetch its decision waits for and fast-import start through execa
    // where the spawner helper cannot start them, which then loads while the clusters render (a
    // no-change publish never loads it)
    if (skip.size < o.branches.length) {
      preloadExeca();
      o.rendering?.();
    }
    for (const b of o.branches) {
      if (skip.has(b.branch)) outcomes.set(b.branch, { ...workOf(b), action: 'unchanged', commit: remoteHeads.get(b.branch), previous: remoteHeads.get(b.branch) });
    }
    // the heads are fetched while the clusters render: only deciding a rendered branch waits for them
    const headsRead = (async () => {
      const heads = await readHeads(work, o.url, o.branches.map((b) => b.branch).filter((b) => !skip.has(b)), o.commitFacts, remoteHeads);
      fetching?.end(`${heads.info.size} of ${o.branches.length} branch head(s) fetched${skip.size ? `, ${skip.size} known up to date` : ''}`);
      return { heads, starts: await startHeads(work, o, remoteHeads) };
    })();
    headsRead.catch(() => undefined); // awaited by the first rendered branch, and after the render in any case
    // what each fetched head deploys, profile by profile (to name a profile a publish takes off a
    // cluster), read while the clusters render rather than after them
    const headMeta = headsRead.then(({ heads }) => metadataAt(work, [...new Set([...heads.info.values()].map((h) => h.commit))]));
    headMeta.catch(() => undefined); // awaited after the render in any case

    // First attempt: render everything, write changed trees in one fast-import stream.
    const pending = new Map<string, Pending>();
    // branches whose objects change: their new metadata, to tell which profiles leave which clusters
    const changedMeta = new Map<string, { head: string; metadata: string | undefined }>();
    const wouldMove: WouldMove[] = [];
    const writer = o.dryRun ? undefined : new FastImport(work);
    // the clusters go on rendering while the heads are fetched: the branches rendered meanwhile wait
    // here (a bounded number of them, with their files), not in the render's slots
    const decided = holdUntil(headsRead, HELD_BRANCHES, async (b: RenderedBranch) => {
      const { tree, content } = branchIds(b.files);
      const { heads, starts } = await headsRead;
      const head = heads.info.get(b.branch);
      const action = await decideFor(head, content);
      record(b, action, head);
      if (head && head.content !== content) changedMeta.set(b.branch, { head: head.commit, metadata: b.files.get(METADATA_PATH) });
      if (action.kind === 'create' || action.kind === 'update') {
        const p: Pending = { ...workOf(b), content, tree, parent: action.kind === 'update' ? action.parent : starts.get(b.branch) };
        if (writer) p.mark = await writer.commit({ ref: 'refs/kiln/new', parent: p.parent, message, files: b.files });
        else wouldMove.push({ ...workOf(b), parent: p.parent, files: b.files });
        pending.set(b.branch, p);
      }
    });
    try {
      await o.render((b) => decided.push(b), skip);
      await decided.drain();
      await headsRead;
    } catch (e) {
      await decided.stop(); // a held branch is not written to a stream being aborted
      await writer?.abort();
      await headsRead.catch(() => undefined); // its git is done before the scratch repo goes
      await headMeta.catch(() => undefined);
      throw e;
    }
    const read = await headsRead;
    let heads = read.heads;
    const starts = read.starts;
    // heads of branches known up to date were not fetched: their facts are all there is to read
    const fetched = new Set([...heads.info.values()].map((h) => h.commit));
    const unfetched = new Set([...skip].map((b) => remoteHeads.get(b)).filter((c): c is string => c !== undefined && !fetched.has(c)));
    const before = await headMeta;
    // compared while git pushes (the main thread has nothing else to do then); a dry run compares now
    let removals: Map<string, ProfileRemoval[]> | undefined;
    const removalsNow = () => (removals ??= profileRemovals(changedMeta, before));
    const writing = writer ? o.progress?.stage('write', { total: pending.size, unit: 'commits' }) : undefined;
    if (writer) {
      const marks = await writer.finish();
      for (const p of pending.values()) {
        p.commit = marks.get(p.mark!);
        if (!p.commit) throw new Error(`fast-import wrote no commit for ${p.branch}`);
      }
      if (o.gitSigner) {
        const trees = await readObjects(work, [...pending.values()].map((p) => p.commit!));
        for (const p of pending.values()) p.commit = await commitTree(work, parseCommit(trees.get(p.commit!)!.body).tree, p.parent, message, o.gitSigner);
      }
    }
    writing?.end(`${pending.size} commit(s)`);
    if (o.dryRun) {
      // loaded only here: the line diff it needs is a dry run's alone (every publish starts faster without it)
      const { dryRunCounts } = await import('./dry-run-counts.js');
      const changes = await dryRunCounts(work, o.url, wouldMove, remoteHeads, o.compare);
      for (const [branch, c] of changes) outcomes.set(branch, { ...outcomes.get(branch)!, changes: c });
      return { outcomes: sorted(outcomes, removalsNow()), attempts: 0, remoteHeads };
    }

    let attempt = 1;
    let pushed = 0;
    const pushing = o.progress?.stage('push', { total: pending.size, unit: 'branches' });
    const notes: NotesPlan = { enabled: true };
    for (;;) {
      const updates: PushUpdate[] = [...pending.values()].map((p) => ({ branch: p.branch, commit: p.commit! }));
      if (o.signal?.aborted) throw interrupted(o.signal, pushed > 0 ? `${pushed} branch(es) were published before it; ${updates.length} not (run ${o.rerun ?? 'publish'} again)` : 'nothing was published; the remote is untouched');
      // the notes ref rides in the same atomic push: a lost notes race refuses the branches too, and the retry re-merges
      const notesCommit = await planNotes(work, o, order, outcomes, pending, notes, unfetched);
      const extra = notesCommit ? [{ ref: NOTES_REF, commit: notesCommit }] : [];
      let res: PushResult;
      try {
        const pushing = updates.length || extra.length ? pushWithFallback(work, o, updates, extra) : Promise.resolve<PushResult>({ ok: [], rejected: [] });
        pushing.catch(() => undefined); // awaited just below, also when the work meanwhile throws
        if (attempt === 1) {
          // git is pushing: the main thread's own work that waits for nothing is done meanwhile
          removalsNow();
          o.whilePushing?.();
        }
        res = await pushing;
      } catch (e) {
        // a push killed half-way: git updates each ref atomically, the server all of them with --atomic
        if (o.signal?.aborted) throw interrupted(o.signal, `during the push of ${updates.length} branch(es): each is either as it was or fully published (run ${o.rerun ?? 'publish'} again to finish)`);
        throw e;
      }
      pushed += res.ok.length;
      pushing?.count(pushed);
      for (const b of res.ok) {
        const p = pending.get(b)!;
        const created = !p.parent || starts.get(b) === p.parent;
        outcomes.set(b, { ...workOf(p), action: created ? 'created' : 'updated', commit: p.commit, ...(created ? {} : { previous: p.parent }) });
        await o.commitFacts?.put(p.commit!, { content: p.content, sourceCommit: o.source.commit });
        pending.delete(b);
      }
      const notesPush = res.extra?.get(NOTES_REF);
      const notesRefused = notesPush?.status === 'refused';
      if (notesRefused) {
        // a server that takes branches but not notes: publish without them (status shows such heads behind)
        o.logger.warn(`the remote refused ${NOTES_REF} (${notesPush.message}); publishing without recording verified source commits`);
        notes.enabled = false;
      }
      if (res.rejected.length === 0 && notesPush?.status !== 'rejected' && !notesRefused) break;
      // an atomic push refused for the notes refused the branches with it: no race to count
      const lost = notesRefused && o.atomic ? [] : [...(notesPush?.status === 'rejected' ? [NOTES_REF] : []), ...res.rejected];
      if (lost.length && attempt >= o.maxAttempts) {
        // a lock still there on the last attempt is no race but a git killed mid-update on the remote: name it
        if (res.locked?.length) throw staleLocksError(res.locked, lost.length, attempt);
        throw new KilnError(`lost the push race for ${lost.length} ref(s) after ${attempt} attempts: ${lost.slice(0, 5).join(', ')}`, {
          exitCode: ExitCode.conflict,
          hint: 'another publish keeps moving these branches; rerun, or serialise publishes (resource_group / concurrency group)',
        });
      }
      if (lost.length) {
        if (res.locked?.length) o.logger.info(`the remote holds lock file(s) for ${lost.length} ref update(s) (${res.locked[0]}${res.locked.length > 1 ? ', …' : ''}): another push, or a git killed there; retrying (attempt ${attempt + 1} of ${o.maxAttempts})`);
        else o.logger.info(`lost the push race for ${lost.length} ref(s) (${lost.slice(0, 3).join(', ')}${lost.length > 3 ? ', …' : ''}); re-reading the remote (attempt ${attempt + 1} of ${o.maxAttempts})`);
        await (o.sleep ?? sleep)(Math.min(5000, 200 * 2 ** (attempt - 1)) + Math.floor(Math.random() * 200));
        attempt++;
      }
      if (res.rejected.length === 0) continue;
      heads = await readHeads(work, o.url, res.rejected, o.commitFacts);
      remoteHeads = new Map([...remoteHeads, ...heads.all]);
      for (const b of res.rejected) {
        const p = pending.get(b)!;
        const head = heads.info.get(b);
        const action = await decideFor(head, p.content);
        record(p, action, head);
        if (action.kind === 'create' || action.kind === 'update') {
          p.parent = action.kind === 'update' ? action.parent : starts.get(b);
          p.commit = await commitTree(work, p.tree, p.parent, message, o.gitSigner);
        } else {
          pending.delete(b);
        }
      }
    }
    pushing?.end(`${pushed} branch(es)${attempt > 1 ? ` in ${attempt} attempts` : ''}`);
    if (o.hydratorNotes) await noteHydrated(work, o, order, outcomes, remoteHeads);
    if (o.afterPush && !o.signal?.aborted) {
      const published = new Map<string, string>();
      for (const oc of outcomes.values()) if (oc.commit && (oc.action === 'created' || oc.action === 'updated' || oc.action === 'unchanged')) published.set(oc.branch, oc.commit);
      await o.afterPush(work, published);
    }
    return { outcomes: sorted(outcomes, removalsNow()), attempts: attempt, remoteHeads };

    async function decideFor(head: RemoteHead | undefined, content: string): Promise<Action> {
      const ord = head?.sourceCommit && head.content !== content ? await order(head.sourceCommit) : undefined;
      return decide(head, content, ord, o.force, o.allowOlder, head?.sourceCommit ? order.why(head.sourceCommit) : undefined);
    }
    function record(b: BranchWork, action: Action, head: RemoteHead | undefined): void {
      const base = { ...workOf(b), previous: head?.commit };
      if (action.kind === 'unchanged') outcomes.set(b.branch, { ...base, action: 'unchanged', commit: head?.commit });
      else if (action.kind === 'skip-older') outcomes.set(b.branch, { ...base, action: 'skipped-older', reason: `the branch already carries newer source commit ${action.theirs.slice(0, 12)}` });
      else if (action.kind === 'conflict') outcomes.set(b.branch, { ...base, action: 'conflict', reason: action.reason });
      else outcomes.set(b.branch, { ...base, action: action.kind === 'create' ? 'created' : 'updated' });
    }
  } finally {
    await remove();
  }
}

interface NotesPlan {
  /** False once the remote refused the notes ref or they could not be read: the branches go without. */
  enabled: boolean;
}

/**
 * The notes commit to push with this attempt's branches (git/notes.ts): branches left unchanged whose
 * head carries an older source commit get ours noted on the head, so status, report and promote see
 * them up to date with it. The notes are fetched before the heads are listed: every note was pushed
 * atomically with its branches, so a note whose commit is no listed head is stale and is dropped.
 */
async function planNotes(work: string, o: PublishEngineOptions, order: Orderer, outcomes: Map<string, BranchOutcome>, pending: Map<string, Pending>, plan: NotesPlan, unfetched: ReadonlySet<string>): Promise<string | undefined> {
  if (!plan.enabled) return undefined;
  // heads whose own trailer already names our source need no note: no fetch, no listing (a re-publish)
  const candidates = [...outcomes.values()].filter((b) => b.action === 'unchanged' && b.commit);
  const trailer = await headSources(work, candidates.map((b) => b.commit!), o.commitFacts, unfetched);
  const unchanged = candidates.filter((b) => trailer.get(b.commit!) !== o.source.commit);
  if (unchanged.length === 0) return undefined;
  try {
    const snap = await fetchNotes(work, o.url);
    const listed = new Set((await lsRemoteHeads(o.url)).values());
    const noted = await notedSources(work, snap, unchanged.map((b) => b.commit!));
    const add = new Map<string, string>();
    for (const b of unchanged) {
      const h = b.commit!;
      if (!listed.has(h)) continue; // moved on since: another publisher's head, not ours to note
      const carried = noted.get(h) ?? trailer.get(h);
      if (carried && carried !== o.source.commit && (await order(carried)) === 'newer') add.set(h, o.source.commit);
    }
    // the heads once this push lands: our updates replace their parents
    for (const p of pending.values()) {
      if (p.parent) listed.delete(p.parent);
      if (p.commit) listed.add(p.commit);
    }
    return await notesCommit(work, snap, add, listed, async (theirs) => (await order(theirs)) === 'newer');
  } catch (e) {
    if (!(e instanceof KilnError)) throw e;
    o.logger.warn(`${e.message}${e.hint ? ` (${e.hint})` : ''}; publishing without recording verified source commits`);
    plan.enabled = false;
    return undefined;
  }
}

function workOf(b: BranchWork): BranchWork {
  return { branch: b.branch, cluster: b.cluster, environment: b.environment };
}

/** branch → the head of the branch it starts from (`startFrom`), for branches the remote lacks; fetched into `work`. */
async function startHeads(work: string, o: PublishEngineOptions, remote: Map<string, string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!o.startFrom) return out;
  const from = new Map<string, string>();
  for (const b of o.branches) {
    const base = remote.has(b.branch) ? undefined : o.startFrom(b.branch);
    if (base && remote.has(base)) {
      from.set(base, remote.get(base)!);
      out.set(b.branch, remote.get(base)!);
    }
  }
  if (from.size) await fetchHeads(work, o.url, [...from.keys()], from);
  return out;
}

/** Branches the caller knows to be up to date from commit facts alone (no fetch, no render). */
async function upToDate(o: PublishEngineOptions, heads: Map<string, string>): Promise<Set<string>> {
  if (!o.upToDate || !o.commitFacts) return new Set();
  const known = new Map<string, string>();
  await Promise.all(
    o.branches.map(async (b) => {
      const id = heads.get(b.branch);
      const facts = id ? await o.commitFacts!.get(id) : undefined;
      if (facts) known.set(b.branch, facts.content);
    }),
  );
  return known.size ? o.upToDate(known) : new Set();
}

async function readHeads(work: string, url: string, branches: string[], facts?: CommitFactsStore, listed?: Map<string, string>): Promise<{ all: Map<string, string>; info: Map<string, RemoteHead> }> {
  const all = listed ?? (await lsRemoteHeads(url));
  const present = [...new Set(branches)].filter((b) => all.has(b));
  await fetchHeads(work, url, present, all);
  const objects = await readObjects(work, present.map((b) => all.get(b)!));
  const commits = new Map([...objects].filter(([, o]) => o.type === 'commit').map(([id, o]) => [id, parseCommit(o.body)]));
  const trees = await readObjects(work, [...new Set([...commits.values()].map((c) => c.tree))]);
  const info = new Map<string, RemoteHead>();
  // a head without kiln's trailer that carries hydrator.metadata: GitOps Promoter's merge commit on
  // a `-next` branch (`merge -s ours` keeps the tree kiln wrote), ordered by the dry commit named there
  const dry = new Map<string, string>();
  for (const b of present) {
    const id = all.get(b)!;
    const c = commits.get(id);
    const t = c && trees.get(c.tree);
    if (!c || !t) continue;
    const entries = parseTree(t.body);
    const head: RemoteHead = { commit: id, content: contentIdOfEntries(entries), sourceCommit: trailers(c.message).get('Kiln-Source-Commit') };
    const meta = head.sourceCommit ? undefined : entries.find((e) => e.name === HYDRATOR_METADATA && e.mode === '100644');
    if (meta) dry.set(id, meta.id);
    info.set(b, head);
  }
  if (dry.size) {
    const blobs = await readObjects(work, [...new Set(dry.values())]);
    for (const h of info.values()) {
      const sha = dry.has(h.commit) ? dryCommitOf(blobs.get(dry.get(h.commit)!)?.body) : undefined;
      if (sha) h.sourceCommit = sha;
    }
  }
  await Promise.all([...info.values()].map((h) => facts?.put(h.commit, { ...h })));
  // a head noted as the render of a newer source commit is ordered as that commit
  const noted = await readSourceNotes(work, url, [...info.values()].filter((h) => h.sourceCommit).map((h) => h.commit));
  for (const h of info.values()) h.sourceCommit = noted.get(h.commit) ?? h.sourceCommit;
  return { all, info };
}

async function pushWithFallback(work: string, o: PublishEngineOptions, updates: PushUpdate[], extra: ExtraRef[]) {
  try {
    return await push(work, o.url, updates, { atomic: o.atomic, extra });
  } catch (e) {
    if (o.atomic && e instanceof KilnError && /does not support --atomic/.test(e.message)) {
      o.logger.warn('the remote does not support atomic pushes; pushing branches one ref update at a time');
      o.atomic = false;
      return push(work, o.url, updates, { atomic: false, extra });
    }
    throw e;
  }
}

function interrupted(signal: AbortSignal, done: string): KilnError {
  const r: unknown = signal.reason;
  return r instanceof InterruptedError ? new InterruptedError(r.signal, done) : new KilnError(`publish stopped: ${done}`);
}

/** Branch → profiles its clusters lose, for branches whose objects change; `before`: the fetched heads' metadata (each changed branch's head is one). */
function profileRemovals(changed: Map<string, { head: string; metadata: string | undefined }>, before: Map<string, string>): Map<string, ProfileRemoval[]> {
  const out = new Map<string, ProfileRemoval[]>();
  for (const [branch, c] of changed) {
    const removed = removedProfiles(before.get(c.head), c.metadata);
    if (removed.length) out.set(branch, removed);
  }
  return out;
}

/** Outcomes by branch; a branch that was published (or would be, or was refused) carries the profiles it removes. */
function sorted(m: Map<string, BranchOutcome>, removals: Map<string, ProfileRemoval[]> = new Map()): BranchOutcome[] {
  return [...m.values()]
    .map((o) => {
      const r = removals.get(o.branch);
      return r && o.action !== 'unchanged' ? { ...o, removedProfiles: r } : o;
    })
    .sort((a, b) => a.branch.localeCompare(b.branch));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A branch outcome as a verb: what happened, or with --dry-run what would. */
export function actionText(action: BranchOutcome['action'], dryRun: boolean): string {
  if (!dryRun) return action;
  return action === 'created' ? 'would create' : action === 'updated' ? 'would update' : action;
}
