import { existsSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { loadConfig } from '../config/load.js';
import { InterruptedError } from '../errors.js';
import { git, repoTop, scratchRepo } from '../git/git.js';
import { clockNow } from '../promote/freeze.js';
import { resolveRemote } from '../publish/remote-url.js';
import { collectReport } from '../report/collect.js';
import { environmentStatus } from '../promote/status.js';
import type { Health, ReportData } from '../report/model.js';
import { readBranchContents } from '../report/read-branches.js';
import { storedArtifactHeads } from '../oci/stored-heads.js';
import { writeSite } from '../report/site.js';
import { ForgeError } from '../scm/errors.js';
import type { CommitState, Scm } from '../scm/scm.js';
import { branchesOf } from '../promote/source.js';
import type { GlobalOptions } from './options.js';

export interface ReportOptions {
  out: string;
  remote: string;
  /** Commit status contexts whose worst state is a cluster's health; none: health is unknown. */
  healthContexts?: string[];
  now?: Date;
}

export interface ReportResult {
  out: string;
  files: string[];
  clusters: number;
  published: number;
  images: number;
  data: ReportData;
}

const RANK: Record<CommitState, number> = { failure: 3, pending: 2, missing: 1, success: 0 };

/**
 * Worst state over the contexts. A refused token (401/403) or a forge that cannot be reached is an
 * error, not a report full of "unknown"; any other failure for one commit makes its health unknown.
 */
async function healthOf(scm: Scm, sha: string, contexts: string[]): Promise<Health> {
  try {
    let worst: CommitState = 'success';
    for (const ctx of contexts) {
      const s = await scm.commitState(sha, ctx);
      if (RANK[s] > RANK[worst]) worst = s;
    }
    return worst;
  } catch (e) {
    if (e instanceof ForgeError && (e.status === 401 || e.status === 403 || e.network)) throw e;
    return 'unknown';
  }
}

/** `kiln report`: a static site and report.json of what runs where, health and images. */
export async function report(g: GlobalOptions, opts: ReportOptions, deps: { scm?: Scm } = {}): Promise<ReportResult> {
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config });
  const root = await repoTop(config.root);
  const head = (await git(undefined, ['-C', root, 'rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => ({ stdout: '' }))).stdout.trim() || undefined;
  const artifactsOnly = config.output.branches === false;
  const url = artifactsOnly ? config.output.oci!.repository : await resolveRemote(config.root, opts.remote);
  const out = path.resolve(g.cwd, opts.out);
  const existed = existsSync(out);
  const { dir: work, remove } = await scratchRepo('kiln-report-');
  let writing = false;
  try {
    const branches = [...new Set(config.environments.flatMap((e) => branchesOf(config, e.name).map((b) => b.branch)))];
    // artifacts only: each cluster's moving-tag artifact stands for its branch head
    const contents = artifactsOnly ? await storedArtifactHeads(work, 'report', config, config.clusters) : await readBranchContents(work, url, branches);
    const status = await environmentStatus(root, config, (e) => branchesOf(config, e), contents, head, opts.now ?? clockNow());
    const contexts = opts.healthContexts ?? [];
    const health = new Map<string, Health>();
    // commit statuses belong to rendered commits: an artifacts-only fleet has none to ask about
    if (deps.scm && contexts.length && !artifactsOnly) {
      const limit = pLimit(Math.max(1, Math.min(g.concurrency, 8)));
      const commits = [...new Set([...contents.values()].map((b) => b.commit))];
      await Promise.all(commits.map((c) => limit(async () => void health.set(c, await healthOf(deps.scm!, c, contexts)))));
    }
    const data = await collectReport({ config, remote: url, head, work, branches: contents, status, health, healthContexts: deps.scm ? contexts : [] });
    // a signal while the forge was asked (its requests are aborted: health would read "unknown") writes nothing
    if (g.signal?.aborted) throw g.signal.reason;
    writing = true;
    const files = await writeSite(out, data);
    // the site's four small files are written whatever comes meanwhile: say it is complete
    if (g.signal?.aborted) throw new InterruptedError(interruptOf(g.signal), `report: ${out} written in full`);
    return { out, files, clusters: data.clusters.length, published: data.clusters.filter((c) => c.published).length, images: data.images.length, data };
  } catch (e) {
    if (!g.signal?.aborted || (e instanceof InterruptedError && e.done)) throw e;
    throw new InterruptedError(interruptOf(g.signal), writing ? `report: ${out} may be written in part (run report again)` : `report: nothing was written (${out} ${existed ? 'is as it was' : 'was not created'})`);
  } finally {
    await remove();
  }
}

function interruptOf(signal: AbortSignal): 'SIGINT' | 'SIGTERM' {
  const r: unknown = signal.reason;
  return r instanceof InterruptedError ? r.signal : 'SIGINT';
}

export function formatReport(r: ReportResult): string {
  return `report of ${r.clusters} clusters (${r.published} published, ${r.images} images) written to ${r.out}\n  ${r.files.map((f) => path.basename(f)).join(', ')}`;
}
