/**
 * An artifacts-only fleet's heads with their files written into a scratch git repo as blobs: promote's
 * diffs and the report read blob ids from there exactly as they read a fetched branch.
 */
import { FastImport } from '../git/fast-import.js';
import { blobId } from '../git/objects.js';
import type { Cluster, FleetConfig } from '../model.js';
import type { BranchHead } from '../promote/heads.js';
import type { PublishedArtifact } from './published.js';
import { artifactHeads } from './targets.js';

export type StoredHead = BranchHead & { artifact: PublishedArtifact; /** every file, README and .kiln/ too: path → blob id */ all: Map<string, string> };

/** `label` keeps the refs of several calls on one scratch repo apart. */
export async function storedArtifactHeads(work: string, label: string, config: FleetConfig, clusters: readonly Cluster[]): Promise<Map<string, StoredHead>> {
  const heads = await artifactHeads(config, clusters, true);
  const out = new Map<string, StoredHead>();
  if (!heads.size) return out;
  const writer = new FastImport(work);
  try {
    let n = 0;
    for (const [branch, h] of heads) {
      const files = new Map([...(h.artifact.files ?? [])].map(([p, b]) => [p, b.toString('utf8')]));
      await writer.commit({ ref: `refs/kiln/artifact/${label}/${n++}`, message: `${h.artifact.repository}@${h.commit}\n`, files });
      out.set(branch, { ...h, all: new Map([...(h.artifact.files ?? [])].map(([p, b]) => [p, blobId(b)])) });
    }
    await writer.finish();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return out;
}
