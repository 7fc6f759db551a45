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
