/**
 * Publishing without rendered branches (`spec.output.branches: false`): the registry is the state.
 * Each repository's moving tag is read (one manifest GET), every branch group is rendered, and what
 * its artifact would deploy (`dev.kiln.content`) is compared with what the moving tag deploys, by the
 * same rule as a branch head: equal objects push nothing, an older source commit never replaces a
 * newer one. Only after every render (and its checks) succeeded is anything pushed: the commit-id tag
 * first, the moving tag last, so a cluster never follows a half-pushed artifact.
 */
import pLimit from 'p-limit';
import { InterruptedError, KilnError } from '../errors.js';
import { contentId } from '../git/objects.js';
import type { Logger } from '../log/logger.js';
import { decide, type Action } from '../publish/decide.js';
import type { RenderedBranch } from '../publish/publish.js';
import type { Orderer } from '../publish/source-order.js';
import type { Signer } from '../sign/signer.js';
import { provenancePredicate } from '../sign/provenance.js';
import { CONTENT_ANNOTATION, type Artifact } from './artifact.js';
import { manifestBlob, treeArtifact, type OciOutcome, type OciTarget } from './publish.js';
import { readOne, readPublished, type PublishedArtifact } from './published.js';
import { RegistryClient, repoUrl, type OciRepo } from './registry.js';

const PUSH_CONCURRENCY = 8;

export interface ArtifactsOnlyOptions {
  source: { commit: string };
  /** The source commit's committer time (RFC 3339 UTC): every artifact's `created`. */
  created: string;
  targets: OciTarget[];
  movingTag: string;
  order: Orderer;
  dryRun: boolean;
  force: boolean;
  /** A deliberate rollback (`promote --allow-rollback`) replaces a newer source commit. */
  allowOlder?: boolean;
  logger: Logger;
  signer?: Signer;
  client?: RegistryClient;
  signal?: AbortSignal;
  /**
   * Produces every branch group's files, except those in `skip`. `known`: branch → what its moving
   * tag deploys, for the caller to tell up-to-date groups without rendering them.
   */
  render: (onBranch: (b: RenderedBranch) => Promise<void>, known: Map<string, string>) => Promise<Set<string>>;
}

interface Planned {
  target: OciTarget;
  head?: PublishedArtifact;
  action: Action;
  artifact?: Artifact;
  metadata?: string;
}

export async function publishArtifactsOnly(o: ArtifactsOnlyOptions): Promise<OciOutcome[]> {
  const client = o.client ?? new RegistryClient();
  const published = await readPublished(client, o.targets.map((t) => t.repo), o.movingTag);
  // a branch group is skipped unrendered only when every repository it goes to holds the same content
  const known = new Map<string, string>();
  const byBranch = new Map<string, OciTarget[]>();
  for (const t of o.targets) byBranch.set(t.branch, [...(byBranch.get(t.branch) ?? []), t]);
  for (const [branch, ts] of byBranch) {
    const contents = new Set(ts.map((t) => published.get(repoUrl(t.repo))?.content));
    const only = contents.size === 1 ? [...contents][0] : undefined;
    if (only) known.set(branch, only);
  }

  const planned = new Map<string, Planned>();
  const skipped = await o.render(async (b) => {
    const content = contentId(b.files);
    let artifact: Artifact | undefined;
    for (const t of byBranch.get(b.branch) ?? []) {
      const key = repoUrl(t.repo);
      if (planned.has(key)) continue;
      const head = published.get(key);
      const action = await decideFor(head, content);
      if (action.kind === 'create' || action.kind === 'update') {
        artifact ??= treeArtifact(b.files, o.source.commit, o.created, { [CONTENT_ANNOTATION]: content });
      }
      planned.set(key, { target: t, head, action, artifact: action.kind === 'create' || action.kind === 'update' ? artifact : undefined, metadata: b.files.get('.kiln/metadata.yaml') });
    }
  }, known);
  for (const branch of skipped) {
    for (const t of byBranch.get(branch) ?? []) {
      const key = repoUrl(t.repo);
      if (!planned.has(key)) planned.set(key, { target: t, head: published.get(key), action: { kind: 'unchanged' } });
    }
  }

  const limit = pLimit(PUSH_CONCURRENCY);
  const done = await Promise.all([...planned.entries()].map(([key, p]) => limit(() => apply(key, p))));
  const byRepo = new Map(done.map((d) => [d.repository, d]));
  // clusters sharing a repository share its outcome
  return o.targets
    .flatMap((t) => {
      const d = byRepo.get(repoUrl(t.repo));
      return d ? [{ ...d, cluster: t.cluster, branch: t.branch }] : [];
    })
    .sort((x, y) => x.cluster.localeCompare(y.cluster));

  async function decideFor(head: PublishedArtifact | undefined, content: string): Promise<Action> {
    if (!head) return decide(undefined, content, undefined, o.force);
    // an artifact kiln did not write alone has no content id: it is replaced only if it is kiln's and older
    const remote = { commit: head.digest, content: head.content ?? '', sourceCommit: head.sourceCommit };
    const ord = head.sourceCommit && remote.content !== content ? await o.order(head.sourceCommit) : undefined;
    return decide(remote, content, ord, o.force, o.allowOlder, head.sourceCommit ? o.order.why(head.sourceCommit) : undefined);
  }

  async function apply(key: string, p: Planned): Promise<OciOutcome> {
    const base = { cluster: p.target.cluster, branch: p.target.branch, repository: key, tags: [] as string[], signed: false, ...(p.head ? { previous: p.head.digest } : {}) };
    const a = p.action;
    if (a.kind === 'unchanged') return { ...base, digest: p.head?.digest ?? '', action: 'unchanged' };
    if (a.kind === 'skip-older') return { ...base, digest: p.head!.digest, action: 'skipped-older', reason: `the moving tag carries newer source commit ${a.theirs.slice(0, 12)}` };
    if (a.kind === 'conflict') return { ...base, digest: p.head?.digest ?? '', action: 'conflict', reason: a.reason.replace('its head was not written by kiln (no Kiln-Source-Commit trailer', 'its moving tag was not written by kiln (no sha1 revision annotation') };
    const art = p.artifact!;
    const tags = [o.source.commit, o.movingTag];
    const r = p.target.repo;
    // the registry may hold this very artifact already (a rollback, a promote of a render pushed before)
    const present = (await client.manifestDigest(r, art.manifest.digest)) === art.manifest.digest;
    const out: OciOutcome = { ...base, digest: art.manifest.digest, action: present ? 'tagged' : 'pushed', tags };
    if (o.dryRun) return out;
    if (o.signal?.aborted) throw stopped(o.signal);
    if (!present) {
      for (const blob of [art.layer, art.config]) if (!(await client.hasBlob(r, blob.digest))) await client.putBlob(r, blob);
    }
    await client.putManifest(r, o.source.commit, art.manifest);
    if (!present && o.signer) {
      await o.signer.sign(r, art.manifest.digest, art, provenancePredicate(p.metadata ?? ''));
      out.signed = true;
    }
    // another publish may have moved the tag since it was read: a newer source commit there stays
    const now = await client.manifestDigest(r, o.movingTag);
    if (now !== (p.head?.digest ?? undefined) && now !== art.manifest.digest && now) {
      const theirs = await readOne(client, r, now, false);
      if (theirs?.sourceCommit && !o.allowOlder && (await o.order(theirs.sourceCommit)) === 'older') {
        return { ...out, action: 'skipped-older', digest: now, reason: `another publish moved ${o.movingTag} to newer source commit ${theirs.sourceCommit.slice(0, 12)} meanwhile` };
      }
    }
    await client.putManifest(r, o.movingTag, present ? await manifestBlob(client, r, art.manifest.digest) : art.manifest);
    o.logger.info(`${p.target.cluster}: ${out.action} ${key}@${art.manifest.digest} as ${tags.join(', ')}`);
    return out;
  }
}

function stopped(signal: AbortSignal): KilnError {
  const r: unknown = signal.reason;
  const done = 'artifacts already pushed stay; run publish again to finish';
  return r instanceof InterruptedError ? new InterruptedError(r.signal, done) : new KilnError(`publish stopped: ${done}`);
}

/** The OCI repositories of targets, once each. */
export function reposOf(targets: OciTarget[]): OciRepo[] {
  return [...new Map(targets.map((t) => [repoUrl(t.repo), t.repo])).values()];
}
