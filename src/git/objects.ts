/**
 * Git object ids computed in-process: knowing a render's tree id before writing anything lets a
 * no-change publish of thousands of branches finish without touching git's object store.
 */
import { createHash } from 'node:crypto';
import { ByteBoundedMemo } from '../util/byte-bounded-memo.js';

export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

// A fleet's branches share most files (and the tree and content ids of one branch hash the same
// files twice): blob ids of text contents, per process. V8 keeps a string's hash in the string, so a
// hit on a shared string costs a lookup, not a SHA-1. Bounded by the text it keeps alive (a
// 10,000-cluster run held ~40 MB of it under a count bound).
const textBlobIds = new ByteBoundedMemo<string, string>(8 * 1024 * 1024);

/** `remember`: false for a text no other branch holds (README.md and .kiln/ name their cluster). */
export function blobIdOf(content: Buffer | string, remember: boolean): string {
  if (typeof content !== 'string') return blobId(content);
  let id = remember ? textBlobIds.get(content) : undefined;
  if (id === undefined) {
    id = blobId(Buffer.from(content));
    if (remember) textBlobIds.set(content, id, content.length);
  }
  return id;
}

interface TreeNode {
  files: Map<string, string>; // name → blob id
  dirs: Map<string, TreeNode>;
}

/** The id `git write-tree` would give a tree holding exactly these files (mode 100644). */
export function treeId(files: Map<string, Buffer | string>): string {
  return hashEntries(entriesOf(rootOf(files)));
}

function rootOf(files: Map<string, Buffer | string>): TreeNode {
  const root: TreeNode = { files: new Map(), dirs: new Map() };
  for (const [path, content] of files) {
    const parts = path.split('/');
    let node = root;
    for (const dir of parts.slice(0, -1)) {
      let next = node.dirs.get(dir);
      if (!next) {
        next = { files: new Map(), dirs: new Map() };
        node.dirs.set(dir, next);
      }
      node = next;
    }
    node.files.set(parts[parts.length - 1]!, blobIdOf(content, !isBranchMeta(path)));
  }
  return root;
}

export interface TreeEntry {
  mode: string;
  name: string;
  id: string;
}

function entriesOf(node: TreeNode): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const [name, id] of node.files) entries.push({ mode: '100644', name, id });
  for (const [name, child] of node.dirs) entries.push({ mode: '40000', name, id: hashTree(child) });
  return entries;
}

function hashTree(node: TreeNode): string {
  return hashEntries(entriesOf(node));
}

// clusters share most directories: a tree's id per set of entries (a NUL cannot occur in a name, so the key is exact)
const treeIds = new ByteBoundedMemo<string, string>(4 * 1024 * 1024);

/** The tree id of these entries, ordered as git orders them. */
export function hashEntries(entries: TreeEntry[]): string {
  let memoKey = '';
  for (const e of entries) memoKey += `${e.mode} ${e.id} ${e.name}\0`;
  const known = treeIds.get(memoKey);
  if (known !== undefined) return known;
  const id = hashSorted(entries);
  treeIds.set(memoKey, id, memoKey.length);
  return id;
}

function hashSorted(entries: TreeEntry[]): string {
  // git orders entries bytewise, with directories compared as if their name ended in '/'; the keys
  // and the body are built once per entry (a fleet hashes ~100 entries per branch, per branch)
  const keyed = entries.map((e) => ({ e, key: Buffer.from(e.mode === '40000' ? e.name + '/' : e.name) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  let size = 0;
  for (const { e } of keyed) size += e.mode.length + 1 + Buffer.byteLength(e.name) + 1 + 20;
  const body = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { e } of keyed) {
    at += body.write(`${e.mode} ${e.name}\0`, at, 'utf8');
    at += body.write(e.id, at, 'hex');
  }
  return createHash('sha1').update(`tree ${size}\0`).update(body).digest('hex');
}

/** Parse a raw tree object (as `cat-file --batch` prints it). */
export function parseTree(raw: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const sp = raw.indexOf(32, pos);
    const nul = raw.indexOf(0, sp);
    out.push({ mode: raw.subarray(pos, sp).toString(), name: raw.subarray(sp + 1, nul).toString(), id: raw.subarray(nul + 1, nul + 21).toString('hex') });
    pos = nul + 21;
  }
  return out;
}

/** Argo CD's Source Hydrator file at the branch root (spec.output.hydrator; publish/hydrator.ts). */
export const HYDRATOR_METADATA = 'hydrator.metadata';

/** Files of a branch that describe it rather than deploy anything: README.md, hydrator.metadata, .kiln/. */
export function isBranchMeta(p: string): boolean {
  return p === 'README.md' || p === HYDRATOR_METADATA || p.startsWith('.kiln/');
}

/**
 * What a branch *deploys*: the tree without README.md, hydrator.metadata and .kiln/. When only
 * provenance would change (a new source commit that renders the same objects), no commit is made,
 * as kargo-render does.
 */
export function contentIdOfEntries(root: TreeEntry[]): string {
  return hashEntries(root.filter((e) => e.name !== 'README.md' && e.name !== HYDRATOR_METADATA && e.name !== '.kiln'));
}

// A single-cluster branch's files are its cluster's render, the same Map: the cluster memo asks for
// its content id, the publish engine for that and its tree id. Both come from one walk of the files
// (they share every entry but the root's branch files), kept per Map: a files Map is complete once
// its content id is asked for (buildTree returns it whole; the hydrator's `-next` files are a new Map).
const idsByFiles = new WeakMap<Map<string, Buffer | string>, { tree: string; content: string }>();

/** The tree id and content id of a branch's complete files (kept for this Map: it must not change after). */
export function branchIds(files: Map<string, Buffer | string>): { tree: string; content: string } {
  let ids = idsByFiles.get(files);
  if (ids === undefined) {
    const entries = entriesOf(rootOf(files));
    ids = { tree: hashEntries(entries), content: contentIdOfEntries(entries) };
    idsByFiles.set(files, ids);
  }
  return ids;
}

export function contentId(files: Map<string, Buffer | string>): string {
  return branchIds(files).content;
}
