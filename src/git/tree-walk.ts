/**
 * What `git ls-tree -r <commit> -- <dir>` lists, for many commits at once, through one `cat-file`
 * reader: one request per tree depth for the whole fleet, and a tree shared by branches is read once.
 */
import { KilnError } from '../errors.js';
import type { CatFile } from './cat-file.js';
import { contentIdOfEntries, parseTree, type TreeEntry } from './objects.js';
import { parseCommit } from './remote.js';

export interface TreeRoot {
  commit: string;
  /** A directory inside the commit's tree (a trailing slash is ignored). */
  dir: string;
}

export interface TreeListing {
  /** Path → blob id of every blob under the directory, in `git ls-tree -r` order. */
  blobs: Map<string, string>;
  /** Entries that are not plain files: symlinks (in `blobs` too, as ls-tree lists them as blobs) and submodules (left out). */
  special: Array<{ path: string; mode: string }>;
  /** What the commit deploys: its root tree without README.md and .kiln/ (objects.ts `contentIdOfEntries`). */
  content: string;
}

const TREE = '40000';
const SYMLINK = '120000';
const SUBMODULE = '160000';

export async function listBlobs(cat: CatFile, roots: readonly TreeRoot[]): Promise<TreeListing[]> {
  const rootTrees = await rootTreesOf(cat, [...new Set(roots.map((r) => r.commit))]);
  const trees = new Map<string, TreeEntry[]>();
  const readTrees = async (ids: Iterable<string>) => {
    const wanted = [...new Set(ids)].filter((id) => !trees.has(id));
    const objects = await cat.read(wanted);
    for (const id of wanted) {
      const o = objects.get(id);
      if (o?.type !== 'tree') throw new KilnError(`tree ${id} is ${o ? `a ${o.type}` : 'missing'} in the fetched branches`);
      trees.set(id, parseTree(o.body));
    }
  };

  // down to each directory, one depth at a time across all roots; no such directory: nothing listed
  await readTrees(rootTrees.values());
  const dirs = roots.map((r) => r.dir.replace(/\/+$/, ''));
  const at: Array<string | undefined> = roots.map((r) => rootTrees.get(r.commit));
  const parts = dirs.map((d) => d.split('/'));
  for (let depth = 0; ; depth++) {
    const active = at.flatMap((id, i) => (id !== undefined && depth < parts[i]!.length ? [i] : []));
    if (!active.length) break;
    await readTrees(active.map((i) => at[i]!));
    for (const i of active) {
      const e = trees.get(at[i]!)!.find((x) => x.name === parts[i]![depth]);
      at[i] = e?.mode === TREE ? e.id : undefined;
    }
  }

  // every tree below them, one depth at a time
  let frontier = at.filter((id): id is string => id !== undefined);
  while (frontier.length) {
    await readTrees(frontier);
    frontier = frontier.flatMap((id) => trees.get(id)!.filter((e) => e.mode === TREE && !trees.has(e.id)).map((e) => e.id));
  }

  // depth first in tree order: the order ls-tree lists paths in
  const walk = (id: string, prefix: string, out: TreeListing) => {
    for (const e of trees.get(id)!) {
      const p = `${prefix}/${e.name}`;
      if (e.mode === TREE) walk(e.id, p, out);
      else if (e.mode === SUBMODULE) out.special.push({ path: p, mode: e.mode });
      else {
        out.blobs.set(p, e.id);
        if (e.mode === SYMLINK) out.special.push({ path: p, mode: e.mode });
      }
    }
  };
  return roots.map((r, i) => {
    const out: TreeListing = { blobs: new Map(), special: [], content: contentIdOfEntries(trees.get(rootTrees.get(r.commit)!)!) };
    if (at[i] !== undefined) walk(at[i]!, dirs[i]!, out);
    return out;
  });
}

/** Commit (or annotated tag) ids → their root tree ids. */
async function rootTreesOf(cat: CatFile, ids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let todo = new Map(ids.map((id) => [id, id])); // start → object to read next
  while (todo.size) {
    const objects = await cat.read([...new Set(todo.values())]);
    const next = new Map<string, string>();
    for (const [start, id] of todo) {
      const o = objects.get(id);
      if (o?.type === 'commit') out.set(start, parseCommit(o.body).tree);
      else if (o?.type === 'tree') out.set(start, id);
      else if (o?.type === 'tag') {
        const target = /^object ([0-9a-f]+)$/m.exec(o.body.toString('utf8'))?.[1];
        if (!target) throw new KilnError(`tag ${id} names no object`);
        next.set(start, target);
      } else throw new KilnError(`${id} is ${o ? `a ${o.type}, not a commit` : 'missing'} in the fetched branches`);
    }
    todo = next;
  }
  return out;
}
