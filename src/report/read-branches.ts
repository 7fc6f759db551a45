/**
 * Read what the rendered branches hold without one git process per branch: one ls-remote, one
 * shallow fetch, then `cat-file --batch` for the commits, each tree level, and the blobs.
 * Secrets are never read: their files are recognised by name and their blobs are not requested.
 */
import { HYDRATOR_METADATA, isBranchMeta } from '../git/objects.js';
import { fetchHeads, lsRemoteHeads, parseCommit, readObjects, trailers } from '../git/remote.js';
import { applySourceNotes, drySha, type BranchHead } from '../promote/heads.js';

export interface BranchContent extends BranchHead {
  /** Every file of the head tree (README and .kiln/ included): path → blob id. */
  all: Map<string, string>;
}

/** Parse a binary git tree object: `<mode> <name>\0<20-byte id>` entries. */
export function parseTree(body: Buffer): Array<{ mode: string; name: string; id: string }> {
  const out: Array<{ mode: string; name: string; id: string }> = [];
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(32, pos);
    const nul = body.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > body.length) break;
    out.push({ mode: body.subarray(pos, sp).toString(), name: body.subarray(sp + 1, nul).toString('utf8'), id: body.subarray(nul + 1, nul + 21).toString('hex') });
    pos = nul + 21;
  }
  return out;
}

/** Heads and full file lists of `branches` on `url`, fetched into the bare repo `work`. */
export async function readBranchContents(work: string, url: string, branches: string[]): Promise<Map<string, BranchContent>> {
  const remoteHeads = await lsRemoteHeads(url);
  const present = [...new Set(branches)].filter((b) => remoteHeads.has(b));
  await fetchHeads(work, url, present, remoteHeads);
  const commits = await readObjects(work, [...new Set(present.map((b) => remoteHeads.get(b)!))]);
  const out = new Map<string, BranchContent>();
  // pending: tree id → the places (branch, prefix) that tree appears at
  let pending = new Map<string, Array<{ branch: string; prefix: string }>>();
  for (const branch of present) {
    const commit = remoteHeads.get(branch)!;
    const o = commits.get(commit);
    if (!o || o.type !== 'commit') continue;
    const info = parseCommit(o.body);
    out.set(branch, { branch, commit, sourceCommit: trailers(info.message).get('Kiln-Source-Commit'), files: new Map(), all: new Map() });
    pending.set(info.tree, [...(pending.get(info.tree) ?? []), { branch, prefix: '' }]);
  }
  // one batch per tree depth; identical subtrees (shared across clusters) are read once
  const treeCache = new Map<string, ReturnType<typeof parseTree>>();
  while (pending.size) {
    const missing = [...pending.keys()].filter((id) => !treeCache.has(id));
    const objs = await readObjects(work, missing);
    for (const id of missing) {
      const t = objs.get(id);
      treeCache.set(id, t && t.type === 'tree' ? parseTree(t.body) : []);
    }
    const next = new Map<string, Array<{ branch: string; prefix: string }>>();
    for (const [id, places] of pending) {
      for (const e of treeCache.get(id)!) {
        for (const { branch, prefix } of places) {
          const p = prefix + e.name;
          if (e.mode === '40000') next.set(e.id, [...(next.get(e.id) ?? []), { branch, prefix: p + '/' }]);
          else if (e.mode !== '160000') {
            const b = out.get(branch)!;
            b.all.set(p, e.id);
            if (!isBranchMeta(p)) b.files.set(p, e.id);
          }
        }
      }
    }
    pending = next;
  }
  // a head GitOps Promoter merged (no kiln trailer) runs the dry commit its hydrator.metadata names
  for (const b of out.values()) if (!b.sourceCommit && b.all.has(HYDRATOR_METADATA)) b.sourceCommit = await drySha(work, b.all.get(HYDRATOR_METADATA)!);
  await applySourceNotes(work, url, out);
  return out;
}

export { readObjects };
