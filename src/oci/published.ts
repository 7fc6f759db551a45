/**
 * What the registry holds under each repository's moving tag: the state of an artifacts-only fleet
 * (`spec.output.branches: false`), read by publish, status, promote, diff and report where a fleet
 * with branches reads its branch heads. One manifest GET per repository; the layer only when asked.
 */
import pLimit from 'p-limit';
import type { BranchHead } from '../promote/heads.js';
import { blobId, isBranchMeta } from '../git/objects.js';
import { CONTENT_ANNOTATION, FLUX_CONTENT_MEDIA_TYPE } from './artifact.js';
import { RegistryClient, repoUrl, type OciRepo } from './registry.js';
import type { OciTarget } from './publish.js';
import { untarGz } from './untar.js';

const READ_CONCURRENCY = 8;

export interface PublishedArtifact {
  repository: string;
  digest: string;
  /** From `org.opencontainers.image.revision` (`<ref>@sha1:<commit>`); undefined when not kiln's format. */
  sourceCommit?: string;
  /** `dev.kiln.content`: what it deploys (objects.ts `contentId`); undefined on artifacts kiln did not write alone. */
  content?: string;
  manifest: Buffer;
  /** Every file of the layer (with `withFiles`). */
  files?: Map<string, Buffer>;
}

interface Manifest {
  layers?: Array<{ mediaType?: string; digest?: string }>;
  annotations?: Record<string, string>;
}

/** The moving-tag artifact of each repository (absent: the registry has no such tag). */
export async function readPublished(client: RegistryClient, repos: OciRepo[], tag: string, opts: { withFiles?: boolean } = {}): Promise<Map<string, PublishedArtifact>> {
  const unique = new Map(repos.map((r) => [repoUrl(r), r]));
  const limit = pLimit(READ_CONCURRENCY);
  const out = new Map<string, PublishedArtifact>();
  await Promise.all(
    [...unique].map(([key, r]) =>
      limit(async () => {
        const a = await readOne(client, r, tag, opts.withFiles === true);
        if (a) out.set(key, a);
      }),
    ),
  );
  return out;
}

export async function readOne(client: RegistryClient, r: OciRepo, ref: string, withFiles: boolean): Promise<PublishedArtifact | undefined> {
  const digest = await client.manifestDigest(r, ref);
  if (!digest) return undefined;
  const manifest = await client.getManifest(r, digest);
  if (!manifest) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(manifest.toString('utf8')) as Manifest;
  } catch {
    m = {};
  }
  const revision = m.annotations?.['org.opencontainers.image.revision'] ?? '';
  const a: PublishedArtifact = {
    repository: repoUrl(r),
    digest,
    ...(/sha1:([0-9a-f]{40})$/.exec(revision) ? { sourceCommit: /sha1:([0-9a-f]{40})$/.exec(revision)![1]! } : {}),
    ...(m.annotations?.[CONTENT_ANNOTATION] ? { content: m.annotations[CONTENT_ANNOTATION] } : {}),
    manifest,
  };
  if (withFiles) {
    const layer = m.layers?.find((l) => l.mediaType === FLUX_CONTENT_MEDIA_TYPE) ?? m.layers?.[0];
    a.files = layer?.digest ? untarGz(await client.getBlob(r, layer.digest), `${repoUrl(r)}@${digest}`) : new Map();
  }
  return a;
}

/**
 * The published artifacts as branch heads, so status, promote and report work on an artifacts-only
 * fleet unchanged: `commit` is the manifest digest, `files` the deployed files' blob ids. Keyed by
 * the branch name the fleet's template gives (clusters sharing it share the tree).
 */
export function asBranchHeads(targets: OciTarget[], published: Map<string, PublishedArtifact>): Map<string, BranchHead & { artifact: PublishedArtifact }> {
  const out = new Map<string, BranchHead & { artifact: PublishedArtifact }>();
  for (const t of targets) {
    const a = published.get(repoUrl(t.repo));
    if (!a || out.has(t.branch)) continue;
    const files = new Map<string, string>();
    for (const [p, body] of a.files ?? []) if (!isBranchMeta(p)) files.set(p, blobId(body));
    out.set(t.branch, { branch: t.branch, commit: a.digest, sourceCommit: a.sourceCommit, files, artifact: a });
  }
  return out;
}
