/** Which OCI repository each cluster publishes to, and the hook publish/promote run after the push. */
import { KilnError } from '../errors.js';
import { git } from '../git/git.js';
import { branchFor } from '../fleet/plan.js';
import { clusterScope, renderTemplateString } from '../fleet/template.js';
import type { Logger } from '../log/logger.js';
import type { Cluster, FleetConfig } from '../model.js';
import { publishOci, type OciOutcome, type OciTarget } from './publish.js';
import { parseOciRepository, RegistryClient, type OciRepo } from './registry.js';
import { asBranchHeads, readPublished, type PublishedArtifact } from './published.js';
import type { BranchHead } from '../promote/heads.js';
import type { Signer } from '../sign/signer.js';

export function ociRepoFor(config: FleetConfig, cluster: Cluster): OciRepo | undefined {
  const oci = config.output.oci;
  if (!oci) return undefined;
  const url = renderTemplateString(oci.repository, clusterScope(cluster), { doc: config.doc, path: ['spec', 'output', 'oci', 'repository'] });
  const r = parseOciRepository(url, oci.insecure);
  if (typeof r === 'string') throw new KilnError(`spec.output.oci.repository for cluster "${cluster.name}": ${r}`);
  return r;
}

export function ociTargets(config: FleetConfig, clusters: readonly Cluster[]): OciTarget[] {
  return clusters.flatMap((c) => {
    const repo = ociRepoFor(config, c);
    return repo ? [{ branch: branchFor(config, c), cluster: c.name, repo }] : [];
  });
}

/**
 * The `afterPush` of the publish engine when the fleet has `spec.output.oci`: outcomes land in `into`.
 * Undefined when there is nothing to push.
 */
export function ociAfterPush(
  config: FleetConfig,
  clusters: readonly Cluster[],
  ctx: { url: string; root: string; cacheDir?: string; signer?: Signer; logger: Logger; into: OciOutcome[] },
): ((work: string, heads: Map<string, string>) => Promise<void>) | undefined {
  if (!config.output.oci) return undefined;
  const targets = ociTargets(config, clusters);
  const movingTag = config.output.oci.tag;
  // a publish renders one source commit: its time is asked once, not once per cluster
  const times = new Map<string, Promise<string | undefined>>();
  const sourceTime = (c: string) => times.get(c) ?? times.set(c, commitTime(ctx.root, c)).get(c)!;
  return async (work, heads) => {
    ctx.into.push(...(await publishOci({ work, url: ctx.url, heads, targets, movingTag, cacheDir: ctx.cacheDir, signer: ctx.signer, logger: ctx.logger, sourceTime })));
  };
}

/** A commit's committer time in RFC 3339 UTC, or undefined when the repo does not have it. */
export async function commitTime(root: string, commit: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{40}$/.test(commit)) return undefined;
  try {
    const { stdout } = await git(undefined, ['-C', root, 'show', '-s', '--format=%ct', commit]);
    const secs = Number(stdout.trim());
    return Number.isFinite(secs) && secs > 0 ? new Date(secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An artifacts-only fleet's "branch heads": each cluster's moving-tag artifact as status, promote and
 * report read a branch head (`commit` = manifest digest). `withFiles` also reads the layers.
 */
export async function artifactHeads(config: FleetConfig, clusters: readonly Cluster[], withFiles = false): Promise<Map<string, BranchHead & { artifact: PublishedArtifact }>> {
  const targets = ociTargets(config, clusters);
  const published = await readPublished(new RegistryClient(), targets.map((t) => t.repo), config.output.oci!.tag, { withFiles });
  return asBranchHeads(targets, published);
}
