/**
 * Source commits verified without a commit. A publish or promote whose render equals a branch head
 * makes no commit (only provenance would change), so the head's `Kiln-Source-Commit` trailer stays
 * behind the source it is now known to be the render of. Like Argo CD's source hydrator, kiln records
 * that as a git note on the head commit, under `refs/notes/kiln` on the rendered-branches remote:
 * `Kiln-Source-Commit: <sha>`, the newest source commit whose render equals that commit's content.
 *
 * The notes commit is pushed in the same atomic push as the branches (git/remote.ts `push`), as a
 * fast-forward of the notes commit fetched: two publishers racing both build on the tip they read,
 * the second push is refused whole (branches included), and its retry re-fetches, merges and pushes
 * again. Notes of commits that are no head any more are dropped when the notes are next written, so
 * the notes tree stays as big as the branch count.
 */
import { KilnError } from '../errors.js';
import { ExecError } from '../exec/exec.js';
import { git } from './git.js';
import { readObjects, trailers } from './remote.js';

export const NOTES_REF = 'refs/notes/kiln';

/** A notes ref and how its notes name a source commit. */
export interface NoteFormat {
  ref: string;
  /** Where it is fetched to: git notes only reads refs under refs/notes/. */
  local: string;
  body(source: string): string;
  parse(body: string): string | undefined;
}

export const KILN_NOTES: NoteFormat = {
  ref: NOTES_REF,
  local: 'refs/notes/kiln-fetched',
  body: (src) => `Kiln-Source-Commit: ${src}\n`,
  parse: (body) => trailers(body).get('Kiln-Source-Commit'),
};

/**
 * Argo CD's commit server notes every hydrated head `{"drySha":"<sha>"}` under
 * refs/notes/hydrator.metadata (commitserver/commit/hydratorhelper.go `AddNote`); GitOps Promoter
 * reads it (internal/git/git.go `HydratorNotesRef`) to know which dry commit a proposed branch is at.
 */
export const HYDRATOR_NOTES: NoteFormat = {
  ref: 'refs/notes/hydrator.metadata',
  local: 'refs/notes/hydrator-fetched',
  body: (src) => JSON.stringify({ drySha: src }),
  parse: (body) => {
    try {
      const v = (JSON.parse(body) as { drySha?: unknown }).drySha;
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  },
};

/**
 * The dry commit a hydrator.metadata file names (`{"drySha"}` at the branch root, the note's format):
 * a head GitOps Promoter merged has no kiln trailer and runs the render kiln wrote for that commit.
 */
export function dryCommitOf(metadata: Buffer | undefined): string | undefined {
  const sha = metadata ? HYDRATOR_NOTES.parse(metadata.toString('utf8')) : undefined;
  return sha && /^[0-9a-f]{40}$/.test(sha) ? sha : undefined;
}

export interface NotesSnapshot {
  /** The notes commit fetched (the parent of the next one), undefined when the remote has none. */
  tip?: string;
  /** Annotated commit → note blob id. */
  entries: Map<string, string>;
}

/** The remote's notes as they are now, fetched into the bare repo `work` (depth 1: the tip's tree is all a merge needs). */
export async function fetchNotes(work: string, url: string, f: NoteFormat = KILN_NOTES): Promise<NotesSnapshot> {
  try {
    await git(work, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', url, `+${f.ref}:${f.local}`], { timeoutMs: 600_000 });
  } catch (e) {
    if (e instanceof ExecError && /couldn't find remote ref|no such remote ref/i.test(e.toolMessage)) return { entries: new Map() };
    throw new KilnError(`cannot read ${f.ref} from ${url}: ${e instanceof ExecError ? e.toolMessage : String(e)}`, { hint: 'check --remote and the credentials for it' });
  }
  const tip = (await git(work, ['rev-parse', '--verify', `${f.local}^{commit}`])).stdout.trim();
  const { stdout } = await git(work, ['notes', `--ref=${f.local}`, 'list']);
  const entries = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [blob, commit] = line.split(' ');
    if (blob && commit) entries.set(commit, blob);
  }
  return { tip, entries };
}

/** The verified source commit noted on each of `commits` that has one in `snap`. */
export async function notedSources(work: string, snap: NotesSnapshot, commits: string[], f: NoteFormat = KILN_NOTES): Promise<Map<string, string>> {
  const wanted = [...new Set(commits)].filter((c) => snap.entries.has(c));
  const blobs = await readObjects(work, [...new Set(wanted.map((c) => snap.entries.get(c)!))]);
  const out = new Map<string, string>();
  for (const c of wanted) {
    const b = blobs.get(snap.entries.get(c)!);
    const src = b && f.parse(b.body.toString('utf8'));
    if (src && /^[0-9a-f]{40}$/.test(src)) out.set(c, src);
  }
  return out;
}

/** The verified source commit noted on each of `commits` that has one (fetched into the bare repo `work`). */
export async function readSourceNotes(work: string, url: string, commits: string[], f: NoteFormat = KILN_NOTES): Promise<Map<string, string>> {
  // no head to ask about (a re-publish that fetched none): no fetch, no listing
  if (commits.length === 0) return new Map();
  return notedSources(work, await fetchNotes(work, url, f), commits, f);
}

/**
 * The next notes commit: `snap` plus `add` (head commit → verified source commit), keeping the notes
 * of `heads` and dropping the rest; undefined when nothing would change. A note already there is
 * replaced only when `replaces(itsSourceCommit)` says ours is newer: a concurrent publish of a newer
 * commit that noted first keeps its note. The commit's parent is `snap.tip`, so pushing it is a
 * fast-forward only while nobody else wrote notes since `snap` was fetched.
 */
export async function notesCommit(
  work: string,
  snap: NotesSnapshot,
  add: Map<string, string>,
  heads: Set<string>,
  replaces: (noted: string) => Promise<boolean>,
  f: NoteFormat = KILN_NOTES,
): Promise<string | undefined> {
  if (add.size === 0) return undefined;
  const entries = new Map([...snap.entries].filter(([c]) => heads.has(c) || add.has(c)));
  const noted = await notedSources(work, snap, [...add.keys()], f);
  // one note blob per distinct source commit (a publish notes all its heads with the same one)
  const blobOf = new Map<string, Promise<string>>();
  const blob = (src: string) => {
    let b = blobOf.get(src);
    if (!b) blobOf.set(src, (b = git(work, ['hash-object', '-w', '--stdin'], { input: f.body(src) }).then((r) => r.stdout.trim())));
    return b;
  };
  let changed = false;
  for (const [c, src] of add) {
    const theirs = noted.get(c);
    if (theirs === src || (theirs && !(await replaces(theirs)))) continue;
    entries.set(c, await blob(src));
    changed = true;
  }
  if (!changed) return undefined;
  const listing = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, blob]) => `100644 blob ${blob}\t${c}`);
  const tree = (await git(work, ['mktree'], { input: listing.join('\n') + '\n' })).stdout.trim();
  const parent = snap.tip ? ['-p', snap.tip] : [];
  return (await git(work, ['commit-tree', tree, ...parent, '-m', `kiln: verified source commits of ${add.size} branch head(s)`])).stdout.trim();
}

/**
 * Notes pushed on their own, after the branches (the hydrator's `{"drySha"}` notes, which Argo CD's
 * commit server also writes apart from its branch pushes): fetch, merge, push as a fast-forward, and
 * on a lost race fetch and merge again.
 */
export async function writeSourceNotes(
  work: string,
  url: string,
  add: Map<string, string>,
  heads: Set<string>,
  replaces: (noted: string) => Promise<boolean>,
  maxAttempts = 5,
  f: NoteFormat = KILN_NOTES,
): Promise<void> {
  for (let attempt = 1; add.size > 0; attempt++) {
    const commit = await notesCommit(work, await fetchNotes(work, url, f), add, heads, replaces, f);
    if (!commit) return;
    try {
      await git(work, ['push', '--quiet', url, `${commit}:${f.ref}`], { timeoutMs: 600_000 });
      return;
    } catch (e) {
      const msg = e instanceof ExecError ? e.toolMessage : String(e);
      const lost = /non-fast-forward|fetch first|rejected|stale info|cannot lock ref/i.test(msg);
      if (!lost || attempt >= maxAttempts) throw new KilnError(`cannot push ${f.ref} to ${url}: ${msg}`, { hint: 'the branches are published; rerun to record their notes' });
    }
  }
}
