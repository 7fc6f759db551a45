/**
 * What the rendered branches hold right now: head commit, its `Kiln-Source-Commit`, and the deployed
 * files (path → blob id, without README.md and .kiln/) — enough to compare a render against a branch
 * and to count object changes without checking anything out.
 */
import { git } from '../git/git.js';
import { blobId, HYDRATOR_METADATA, isBranchMeta } from '../git/objects.js';
import { dryCommitOf, readSourceNotes } from '../git/notes.js';
import { fetchHeads, lsRemoteHeads, parseCommit, readObjects, trailers } from '../git/remote.js';

export interface BranchHead {
  branch: string;
  commit: string;
  /** The newest source commit the head is the render of: its `Kiln-Source-Commit` trailer, or a newer one noted since. */
  sourceCommit: string | undefined;
  /** The trailer's source commit, when a note moved `sourceCommit` past it. */
  committedSource?: string;
  /** Deployed files: path → blob id. */
  files: Map<string, string>;
}

const deployed = (p: string) => !isBranchMeta(p);

/** Heads of `branches` on `url` (missing branches are absent), fetched into the bare repo `work`. */
/**
 * `files: false` (status: only which source commit each head runs) lists no tree: one `ls-tree` per
 * head was most of `kiln status` at 1,000 clusters; `files` is then empty.
 */
export async function readBranchHeads(work: string, url: string, branches: string[], opts: { files?: boolean } = {}): Promise<Map<string, BranchHead>> {
  const all = await lsRemoteHeads(url);
  const present = [...new Set(branches)].filter((b) => all.has(b));
  await fetchHeads(work, url, present, all);
  const objects = await readObjects(work, present.map((b) => all.get(b)!));
  const out = new Map<string, BranchHead>();
  for (const branch of present) {
    const commit = all.get(branch)!;
    const o = objects.get(commit);
    if (!o || o.type !== 'commit') continue;
    const trailer = trailers(parseCommit(o.body).message).get('Kiln-Source-Commit');
    const files = new Map<string, string>();
    let hydrator: string | undefined;
    if (opts.files === false) {
      // without a trailer the hydrator metadata names the source: that one path only
      if (!trailer) hydrator = (await git(work, ['rev-parse', '--verify', '--quiet', `${commit}:${HYDRATOR_METADATA}`]).catch(() => ({ stdout: '' }))).stdout.trim() || undefined;
    } else {
      const { stdout } = await git(work, ['ls-tree', '-r', '-z', commit]);
      for (const entry of stdout.split('\0')) {
        const m = /^\d+ blob ([0-9a-f]{40})\t(.+)$/s.exec(entry);
        if (m && deployed(m[2]!)) files.set(m[2]!, m[1]!);
        if (m?.[2] === HYDRATOR_METADATA) hydrator = m[1];
      }
    }
    out.set(branch, { branch, commit, sourceCommit: trailer ?? (hydrator ? await drySha(work, hydrator) : undefined), files });
  }
  await applySourceNotes(work, url, out);
  return out;
}

/** The dry commit a head's hydrator.metadata blob names (git/notes.ts `dryCommitOf`). */
export async function drySha(work: string, blob: string): Promise<string | undefined> {
  return dryCommitOf((await readObjects(work, [blob])).get(blob)?.body);
}

/**
 * A head noted (git/notes.ts) as the render of a newer source commit than its trailer runs that
 * commit: `sourceCommit` becomes the noted one, the trailer's is kept as `committedSource`.
 */
export async function applySourceNotes(work: string, url: string, heads: Map<string, BranchHead>): Promise<void> {
  const noted = await readSourceNotes(work, url, [...heads.values()].filter((h) => h.sourceCommit).map((h) => h.commit));
  for (const h of heads.values()) {
    const n = noted.get(h.commit);
    if (n && n !== h.sourceCommit) {
      h.committedSource = h.sourceCommit;
      h.sourceCommit = n;
    }
  }
}

/** Deployed files of a render: path → blob id, comparable with `BranchHead.files`. */
export function deployedBlobs(files: Map<string, string>): Map<string, string> {
  return new Map([...files].filter(([p]) => deployed(p)).map(([p, c]) => [p, blobId(Buffer.from(c))]));
}

export interface ObjectChanges {
  added: number;
  changed: number;
  removed: number;
}

export function sameContent(a: Map<string, string> | undefined, b: Map<string, string>): boolean {
  if (!a || a.size !== b.size) return false;
  for (const [p, id] of b) if (a.get(p) !== id) return false;
  return true;
}
