/**
 * Push each branch head as an OCI artifact to its clusters' repositories: tagged with the full source
 * commit id (the `Kiln-Source-Commit` trailer) and with the moving tag, which mirrors the branch
 * head. The artifact is a pure function of the rendered commit (its files, trailers and committer
 * time), so `commit → digest` is remembered for good (`<cache>/oci/`): a publish that changes
 * nothing asks the registry one HEAD per repository and uploads nothing.
 */
import pLimit from 'p-limit';
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../log/logger.js';
import { fetchHeads, parseCommit, readObjects, trailers, type GitObject } from '../git/remote.js';
import { CatFile } from '../git/cat-file.js';
import { parseTree } from '../git/objects.js';
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';
import { buildArtifact, type Artifact } from './artifact.js';
import { RegistryClient, repoUrl, type OciRepo } from './registry.js';
import type { Signer } from '../sign/signer.js';
import { provenancePredicate } from '../sign/provenance.js';

/** Repositories worked on at once (registry round trips; signing runs cosign per artifact). */
const OCI_CONCURRENCY = 8;

export interface OciTarget {
  branch: string;
  cluster: string;
  repo: OciRepo;
}

export interface OciOutcome {
  cluster: string;
  branch: string;
  repository: string;
  digest: string;
  /**
   * pushed: a manifest the registry lacked; tagged: known digest, tags moved; unchanged: nothing to do.
   * Artifacts-only (`spec.output.branches: false`) also: skipped-older (the moving tag carries a newer
   * source commit) and conflict (cannot be ordered, or not kiln's); a dry run says what it would do.
   */
  action: 'pushed' | 'tagged' | 'unchanged' | 'skipped-older' | 'conflict';
  tags: string[];
  signed: boolean;
  reason?: string;
  /** Artifacts-only: the digest the moving tag pointed at before. */
  previous?: string;
}

export interface OciPublishOptions {
  /** The scratch repo holding the new commits (and into which missing heads are fetched). */
  work: string;
  url: string;
  /** branch → head commit after the push. */
  heads: Map<string, string>;
  targets: OciTarget[];
  movingTag: string;
  cacheDir?: string;
  signer?: Signer;
  logger: Logger;
  client?: RegistryClient;
  /**
   * The source commit's committer time (RFC 3339), the artifact's `created`: with it an artifact is a
   * function of the files and the source, so a rollback to a render the registry holds finds its digest.
   * Falls back to the rendered commit's time (a shallow clone may not know the source commit).
   */
  sourceTime?: (commit: string) => Promise<string | undefined>;
}

interface Built {
  digest: string;
  sourceCommit: string;
  artifact?: Artifact;
  /** The tree's `.kiln/metadata.yaml`, for the provenance attestation. */
  metadata?: string;
}

export async function publishOci(o: OciPublishOptions): Promise<OciOutcome[]> {
  const client = o.client ?? new RegistryClient();
  const files = cacheFiles();
  const memo = new Map<string, Built>();
  // every commit, tree and blob read of the run through one `git cat-file --batch` (not a few
  // processes per cluster: that was most of an OCI publish's time at a few hundred clusters)
  let cat: CatFile | undefined;
  const reader = () => (cat ??= new CatFile(o.work));
  try {
    return await run();
  } finally {
    await cat?.close();
  }

  async function run(): Promise<OciOutcome[]> {
    const remembered = async (commit: string): Promise<Built | undefined> => {
      const f = o.cacheDir ? hexEntryPath(o.cacheDir, 'oci', commit) : null;
      const e = f ? ((await files.read(f)) as { commit?: string; digest?: string; sourceCommit?: string } | undefined) : undefined;
      return e?.commit === commit && e.digest && e.sourceCommit ? { digest: e.digest, sourceCommit: e.sourceCommit } : undefined;
    };
    const build = async (commit: string, branch: string): Promise<Built> => {
      let b = memo.get(commit);
      if (b?.artifact) return b;
      if (!(await reader().read([commit])).has(commit)) await fetchHeads(o.work, o.url, [branch], new Map([[branch, commit]]));
      const { files: tree, message, committed } = await readCommit((ids) => reader().read(ids), commit);
      const sourceCommit = trailers(message).get('Kiln-Source-Commit') ?? commit;
      const created = (await o.sourceTime?.(sourceCommit)) ?? committed;
      const artifact = treeArtifact(tree, sourceCommit, created);
      b = { digest: artifact.manifest.digest, sourceCommit, artifact, metadata: tree.get('.kiln/metadata.yaml')?.toString('utf8') ?? '' };
      memo.set(commit, b);
      const f = o.cacheDir ? hexEntryPath(o.cacheDir, 'oci', commit) : null;
      if (f) await files.write(f, JSON.stringify({ commit, digest: b.digest, sourceCommit }));
      return b;
    };

    // the digests of heads written or seen before; the rest are built from their commits (fetched if needed)
    const heads = [...new Set(o.targets.map((t) => o.heads.get(t.branch)).filter((c): c is string => !!c))];
    for (const c of heads) {
      const r = await remembered(c);
      if (r) memo.set(c, r);
    }
    // heads neither remembered nor written by this run: fetched in one go (one object check for all)
    const unknown = heads.filter((c) => !memo.has(c));
    const have = await readObjects(o.work, unknown);
    const absent = new Set(unknown.filter((c) => !have.has(c)));
    if (absent.size) {
      const byBranch = new Map(o.targets.filter((t) => absent.has(o.heads.get(t.branch)!)).map((t) => [t.branch, o.heads.get(t.branch)!]));
      await fetchHeads(o.work, o.url, [...byBranch.keys()], byBranch);
    }

    // one task per repository (clusters sharing a branch may share one), several at a time: each is a
    // few round trips to the registry, and a fleet has thousands
    const byRepo = new Map<string, OciTarget[]>();
    for (const t of o.targets) if (o.heads.get(t.branch)) byRepo.set(repoUrl(t.repo), [...(byRepo.get(repoUrl(t.repo)) ?? []), t]);
    const limit = pLimit(OCI_CONCURRENCY);
    const results = await Promise.all(
      [...byRepo.entries()].map(([key, group]) =>
        limit(async () => {
          const t = group[0]!;
          const commit = o.heads.get(t.branch)!;
          let b = memo.get(commit) ?? (await build(commit, t.branch));
          const tags = [b.sourceCommit, o.movingTag];
          const [atMoving, atCommit] = await Promise.all([client.manifestDigest(t.repo, o.movingTag), client.manifestDigest(t.repo, b.sourceCommit)]);
          let action: OciOutcome['action'] = 'unchanged';
          let signed = false;
          if (atMoving !== b.digest || atCommit !== b.digest) {
            const present = atCommit === b.digest || atMoving === b.digest || (await client.manifestDigest(t.repo, b.digest)) === b.digest;
            if (!present) {
              b = await build(commit, t.branch);
              const a = b.artifact!;
              for (const blob of [a.layer, a.config]) if (!(await client.hasBlob(t.repo, blob.digest))) await client.putBlob(t.repo, blob);
              await client.putManifest(t.repo, b.sourceCommit, a.manifest);
              action = 'pushed';
              if (o.signer) {
                await o.signer.sign(t.repo, b.digest, a, provenancePredicate(b.metadata ?? ''));
                signed = true;
              }
            } else {
              action = 'tagged';
              if (atCommit !== b.digest) await client.putManifest(t.repo, b.sourceCommit, await manifestBlob(client, t.repo, b.digest));
            }
            if (atMoving !== b.digest) await client.putManifest(t.repo, o.movingTag, b.artifact?.manifest ?? (await manifestBlob(client, t.repo, b.digest)));
            o.logger.info(`${t.cluster}: ${action} ${key}@${b.digest} as ${tags.join(', ')}`);
          }
          return group.map((g): OciOutcome => ({ cluster: g.cluster, branch: g.branch, repository: key, digest: b.digest, action, tags, signed }));
        }),
      ),
    );
    const out = results.flat().sort((x, y) => x.cluster.localeCompare(y.cluster));
    return out;
  }
}

/**
 * The artifact of a rendered tree: source and revision from its `.kiln/metadata.yaml`, `created` the
 * source commit's time, so the same tree of the same source always has the same digest.
 */
export function treeArtifact(tree: Map<string, Buffer | string>, sourceCommit: string, created: string, annotations?: Record<string, string>): Artifact {
  const raw = tree.get('.kiln/metadata.yaml');
  const meta = (parseYaml(raw === undefined ? '{}' : raw.toString()) ?? {}) as Record<string, unknown>;
  // Flux writes Git revisions as <branch or tag>@sha1:<commit>, the short name
  const ref = typeof meta.sourceRef === 'string' && meta.sourceRef ? `${meta.sourceRef.replace(/^refs\/(heads|tags)\//, '')}@` : '';
  return buildArtifact(tree, { source: String(meta.sourceRepo ?? ''), revision: `${ref}sha1:${sourceCommit}`, created, ...(annotations ? { annotations } : {}) });
}

export async function manifestBlob(client: RegistryClient, repo: OciRepo, digest: string): Promise<Artifact['manifest']> {
  const bytes = await client.getManifest(repo, digest);
  if (!bytes) throw new Error(`${repoUrl(repo)}@${digest} vanished while kiln tagged it`);
  return { digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes };
}

type ObjectReader = (ids: string[]) => Promise<Map<string, GitObject>>;

/** Every file of a commit's tree (path → bytes), its message and committer time as RFC 3339 UTC. */
export async function readCommit(read: ObjectReader, commit: string): Promise<{ files: Map<string, Buffer>; message: string; committed: string }> {
  const c = (await read([commit])).get(commit);
  if (!c || c.type !== 'commit') throw new Error(`commit ${commit} is not in the scratch repo`);
  const info = parseCommit(c.body);
  const when = /^committer .* (\d+) [+-]\d{4}$/m.exec(c.body.toString('utf8').split('\n\n')[0] ?? '');
  const committed = new Date(Number(when?.[1] ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const files = new Map<string, Buffer>();
  let level: Array<{ prefix: string; id: string }> = [{ prefix: '', id: info.tree }];
  while (level.length) {
    const trees = await read(level.map((l) => l.id));
    const next: Array<{ prefix: string; id: string }> = [];
    const blobs: Array<{ path: string; id: string }> = [];
    for (const l of level) {
      for (const e of parseTree(trees.get(l.id)!.body)) {
        const p = l.prefix + e.name;
        if (e.mode === '40000') next.push({ prefix: `${p}/`, id: e.id });
        else if (e.mode === '100644' || e.mode === '100755') blobs.push({ path: p, id: e.id });
      }
    }
    const got = await read([...new Set(blobs.map((b) => b.id))]);
    for (const b of blobs) files.set(b.path, got.get(b.id)!.body);
    level = next;
  }
  return { files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), message: info.message, committed };
}
