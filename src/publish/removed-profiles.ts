/**
 * Whole profiles a publish takes off clusters, read from `.kiln/metadata.yaml` of the branch head
 * and of the new render: a profile leaving a cluster deletes everything it deployed there (Flux
 * prunes it), so publish names these first.
 */
import { parse } from 'yaml';
import { CatFile } from '../git/cat-file.js';
import { listBlobs } from '../git/tree-walk.js';
import { METADATA_PATH } from '../manifests/tree.js';

export interface ProfileRemoval {
  cluster: string;
  profile: string;
  /** Objects it deployed on that cluster. */
  objects: number;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** cluster → profile → object count, from one branch's metadata (one cluster, or `clusters.<name>` on a shared branch). */
export function profilesOf(metadata: string | undefined): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  if (!metadata) return out;
  // kiln's own block layout is read line by line: a full YAML parse of every changed head's metadata
  // and of its new render was ~7 of the ~20 CPU s of a one-profile change's publish at 1,000 clusters
  const scanned = scanProfiles(metadata);
  if (scanned) return scanned;
  let meta: Obj;
  try {
    meta = asObj(parse(metadata));
  } catch {
    return out; // a hand-edited head: nothing to compare against
  }
  const one = (cluster: unknown, m: Obj) => {
    if (typeof cluster !== 'string') return;
    out.set(cluster, new Map(Object.entries(asObj(m.profiles)).map(([p, v]) => [p, Number(asObj(v).objects ?? 0)])));
  };
  if (meta.clusters && typeof meta.clusters === 'object') for (const [c, m] of Object.entries(asObj(meta.clusters))) one(c, asObj(m));
  else one(meta.cluster, meta);
  return out;
}

// plain scalars the YAML parser reads as strings: a letter first, never true/false/null
const KEY = /^(?!(?:true|false|null)$)[A-Za-z][A-Za-z0-9._/-]*$/i;

/**
 * The profiles of metadata in the block layout kiln writes (serializeData): `cluster:` and `profiles:`
 * at the top, or `clusters:` with each cluster's `profiles:` one level in; a profile's keys one level
 * below its name, `objects: N` among them. Deeper lines (components, commands) are skipped unread;
 * every line at a level read must be a plain `key:` or `key: value`, so any other layout (flow style,
 * quoted keys, comments, anchors, explicit block indents, several documents) gives undefined and the
 * caller parses the YAML in full.
 */
export function scanProfiles(text: string): Map<string, Map<string, number>> | undefined {
  if (/^(---|\.\.\.|%)|[|>][-+]?[1-9]|\t|\r/m.test(text)) return undefined;
  const lines = text.split('\n');
  const indentOf = (l: string) => l.length - l.trimStart().length;
  /** `key` and inline value of a plain key line at exactly `indent`; undefined for anything else. */
  const keyAt = (l: string, indent: number): [string, string] | undefined => {
    if (indentOf(l) !== indent) return undefined;
    const m = /^([^:\s]+):(?: (.*))?$/.exec(l.slice(indent));
    return m && KEY.test(m[1]!) ? [m[1]!, m[2] ?? ''] : undefined;
  };
  /** The block below lines[at] (more indented than `indent`): [first, end) line indexes. */
  const block = (at: number, indent: number): [number, number] => {
    let end = at + 1;
    while (end < lines.length && (lines[end]!.trim() === '' || indentOf(lines[end]!) > indent)) end++;
    return [at + 1, end];
  };
  /** profile → objects from a `profiles:` block at `indent`; undefined when the layout is not kiln's. */
  const profiles = (from: number, to: number, indent: number): Map<string, number> | undefined => {
    const out = new Map<string, number>();
    let current: string | undefined;
    for (let i = from; i < to; i++) {
      const l = lines[i]!;
      if (l.trim() === '') continue;
      const n = indentOf(l);
      if (n === indent + 2) {
        const k = keyAt(l, n);
        if (!k || k[1] !== '' || out.has(k[0])) return undefined;
        current = k[0];
        out.set(current, 0);
      } else if (n === indent + 4) {
        const k = keyAt(l, n);
        if (!k || current === undefined) return undefined;
        if (k[0] === 'objects') {
          if (!/^\d+$/.test(k[1])) return undefined;
          out.set(current, Number(k[1]));
        }
      } else if (n < indent + 4) return undefined;
    }
    return out;
  };
  /** cluster + profiles of one mapping at `indent` spanning [from, to). */
  const one = (from: number, to: number, indent: number): { cluster?: string; profiles?: Map<string, number>; clusters?: [number, number] } | undefined => {
    const r: { cluster?: string; profiles?: Map<string, number>; clusters?: [number, number] } = {};
    const seen = new Set<string>();
    for (let i = from; i < to; i++) {
      const l = lines[i]!;
      if (l.trim() === '' || indentOf(l) > indent) continue;
      const k = keyAt(l, indent);
      if (!k || seen.has(k[0])) return undefined;
      seen.add(k[0]);
      if (k[0] === 'cluster') {
        if (!KEY.test(k[1])) return undefined;
        r.cluster = k[1];
      } else if (k[0] === 'profiles' || k[0] === 'clusters') {
        const [a, b] = block(i, indent);
        if (k[1] === '{}' && a === b) {
          if (k[0] === 'profiles') r.profiles = new Map();
          else r.clusters = [a, a];
          continue;
        }
        if (k[1] !== '') return undefined;
        if (k[0] === 'clusters') r.clusters = [a, b];
        else {
          const p = profiles(a, b, indent);
          if (!p) return undefined;
          r.profiles = p;
        }
      } else if (k[1] === '' && block(i, indent)[1] === i + 1) return undefined; // an empty value: null, left to the parser
    }
    return r;
  };
  const top = one(0, lines.length, 0);
  if (!top) return undefined;
  const out = new Map<string, Map<string, number>>();
  if (top.clusters) {
    const [from, to] = top.clusters;
    for (let i = from; i < to; i++) {
      const l = lines[i]!;
      if (l.trim() === '' || indentOf(l) > 2) continue;
      const k = keyAt(l, 2);
      if (!k || k[1] !== '' || out.has(k[0])) return undefined;
      const [a, b] = block(i, 2);
      const c = one(a, b, 4);
      if (!c || c.clusters) return undefined;
      out.set(k[0], c.profiles ?? new Map());
    }
    return out;
  }
  if (top.cluster !== undefined) out.set(top.cluster, top.profiles ?? new Map());
  return out;
}

export function removedProfiles(before: string | undefined, after: string | undefined): ProfileRemoval[] {
  const now = profilesOf(after);
  const out: ProfileRemoval[] = [];
  for (const [cluster, profiles] of profilesOf(before)) {
    const kept = now.get(cluster);
    // a cluster that left the branch altogether is not this branch's profile removal
    if (!kept) continue;
    for (const [profile, objects] of profiles) if (!kept.has(profile) && objects > 0) out.push({ cluster, profile, objects });
  }
  return out.sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : a.profile < b.profile ? -1 : a.profile > b.profile ? 1 : 0));
}

/** `.kiln/metadata.yaml` of each commit (fetched into `work`), read through one cat-file process. */
export async function metadataAt(work: string, commits: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!commits.length) return out;
  const cat = new CatFile(work);
  try {
    const listed = await listBlobs(cat, commits.map((commit) => ({ commit, dir: '.kiln' })));
    const ids = new Map<string, string>();
    commits.forEach((c, i) => {
      const id = listed[i]!.blobs.get(METADATA_PATH);
      if (id) ids.set(c, id);
    });
    const blobs = await cat.read([...new Set(ids.values())]);
    for (const [c, id] of ids) {
      const b = blobs.get(id);
      if (b?.type === 'blob') out.set(c, b.body.toString('utf8'));
    }
  } finally {
    await cat.close();
  }
  return out;
}
