/**
 * Source commits verified without a commit. A publish or promote whose render equals a branch head
 * makes no commit (only provenance would change), so the head's `Kiln-Source-Commit` trailer stays
 * behind the source it is now known to be the render of. Like Argo CD's source hydrator, kiln records
 * that as a git note on the head commit, under `refs/notes/kiln` on the rendered-branches remote:
 * `Kiln-Source-Commit: <sha>`, the newest source commit whose render equals that commit's content.
 * Notes of commits that are no head any more are dropped when the notes are next written, so the
 * notes tree stays as big as the branch count.
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

interface NotesState {
  /** The notes commit fetched (the parent of the next one), undefined when the remote has none. */
  tip?: string;
  /** Annotated commit → note blob id. */
  entries: Map<string, string>;
}

async function fetchNotes(work: string, url: string, f: NoteFormat): Promise<NotesState> {
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

/** The verified source commit noted on each of `commits` that has one (fetched into the bare repo `work`). */
export async function readSourceNotes(work: string, url: string, commits: string[], f: NoteFormat = KILN_NOTES): Promise<Map<string, string>> {
  const { entries } = await fetchNotes(work, url, f);
  const wanted = [...new Set(commits)].filter((c) => entries.has(c));
  const blobs = await readObjects(work, [...new Set(wanted.map((c) => entries.get(c)!))]);
  const out = new Map<string, string>();
  for (const c of wanted) {
    const b = blobs.get(entries.get(c)!);
    const src = b && f.parse(b.body.toString('utf8'));
    if (src && /^[0-9a-f]{40}$/.test(src)) out.set(c, src);
  }
  return out;
}

/**
 * Note `add` (head commit → verified source commit) on the remote, keeping the existing notes of
 * `heads` (the remote's current branch heads) and dropping the rest; a lost race re-reads and retries.
 * A note already there is replaced only when `replaces(itsSourceCommit)` says ours is newer: a
 * concurrent publish of a newer commit that noted first keeps its note.
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
  if (add.size === 0) return;
  const blobOf = new Map<string, string>();
  for (const src of new Set(add.values())) {
    blobOf.set(src, (await git(work, ['hash-object', '-w', '--stdin'], { input: f.body(src) })).stdout.trim());
  }
  for (let attempt = 1; ; attempt++) {
    const state = await fetchNotes(work, url, f);
    const entries = new Map([...state.entries].filter(([c]) => heads.has(c) || add.has(c)));
    const there = await readObjects(work, [...new Set([...add.keys()].map((c) => entries.get(c)).filter((b): b is string => Boolean(b)))]);
    let changed = false;
    for (const [c, src] of add) {
      const blob = entries.get(c);
      const body = blob ? there.get(blob)?.body.toString('utf8') : undefined;
      const noted = body ? f.parse(body) : undefined;
      if (noted === src || (noted && !(await replaces(noted)))) continue;
      entries.set(c, blobOf.get(src)!);
      changed = true;
    }
    if (!changed) return;
    const listing = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, blob]) => `100644 blob ${blob}\t${c}`);
    const tree = (await git(work, ['mktree'], { input: listing.join('\n') + '\n' })).stdout.trim();
    const parent = state.tip ? ['-p', state.tip] : [];
    const commit = (await git(work, ['commit-tree', tree, ...parent, '-m', `kiln: verified source commits of ${add.size} branch head(s)`])).stdout.trim();
    try {
      await git(work, ['push', '--quiet', url, `${commit}:${f.ref}`], { timeoutMs: 600_000 });
      return;
    } catch (e) {
      const msg = e instanceof ExecError ? e.toolMessage : String(e);
      const lost = /non-fast-forward|fetch first|rejected|stale info|cannot lock ref/i.test(msg);
      if (!lost || attempt >= maxAttempts) throw new KilnError(`cannot push ${f.ref} to ${url}: ${msg}`, { hint: 'the branches are published; rerun to record their verified source commits (status reports them behind until then)' });
    }
  }
}
