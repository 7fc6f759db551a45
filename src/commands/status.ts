import { loadConfig } from '../config/load.js';
import { configParseCache } from '../config/parse-cache.js';
import { git, repoTop, scratchRepo } from '../git/git.js';
import { clockNow } from '../promote/freeze.js';
import { readBranchHeads } from '../promote/heads.js';
import { environmentStatus, type EnvironmentStatus } from '../promote/status.js';
import { resolveRemote } from '../publish/remote-url.js';
import { branchesOf } from '../promote/source.js';
import { artifactHeads } from '../oci/targets.js';
import type { GlobalOptions } from './options.js';

export interface StatusOptions {
  remote: string;
  now?: Date;
}

export interface StatusResult {
  remote: string;
  /** The fleet repo's HEAD, the reference for the first environment. */
  head?: string;
  environments: EnvironmentStatus[];
}

/** `kiln status`: per environment, the source commit each cluster runs and its lag behind the previous one. */
export async function status(g: GlobalOptions, opts: StatusOptions): Promise<StatusResult> {
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config, parseCache: configParseCache() });
  const root = await repoTop(config.root);
  const head = (await git(undefined, ['-C', root, 'rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => ({ stdout: '' }))).stdout.trim() || undefined;
  if (config.output.branches === false) {
    // artifacts only: each cluster's moving tag is its head
    const heads = await artifactHeads(config, config.clusters);
    const environments = await environmentStatus(root, config, (e) => branchesOf(config, e), heads, head, opts.now ?? clockNow());
    return { remote: config.output.oci!.repository, head, environments };
  }
  const url = await resolveRemote(config.root, opts.remote);
  const { dir: work, remove } = await scratchRepo('kiln-status-');
  try {
    const branches = config.environments.flatMap((e) => branchesOf(config, e.name).map((b) => b.branch));
    const heads = await readBranchHeads(work, url, branches, { files: false });
    const environments = await environmentStatus(root, config, (e) => branchesOf(config, e), heads, head, opts.now ?? clockNow());
    return { remote: url, head, environments };
  } finally {
    await remove();
  }
}

export function formatStatus(r: StatusResult): string {
  const lines: string[] = [];
  for (const e of r.environments) {
    const ref = e.reference ? ` (compared with ${e.reference.name} ${e.reference.commit.slice(0, 12)})` : '';
    lines.push(`${e.name}${ref}${e.frozen.length ? ` FROZEN: ${e.frozen.join('; ')}` : ''}`);
    const width = Math.max(...e.clusters.map((c) => c.cluster.length), 8);
    for (const c of e.clusters) {
      let lag = '';
      if (!c.sourceCommit) lag = c.renderedCommit ? 'not written by kiln' : 'not published';
      else if (c.behind === null || c.ahead === null) lag = 'source commit unknown to the fleet repo (fetch full history)';
      else if (c.behind !== undefined) lag = c.behind === 0 ? (c.ahead ? `${c.ahead} ahead` : 'up to date') : `${c.behind} behind${c.ahead ? `, ${c.ahead} ahead` : ''}`;
      lines.push(`  ${c.cluster.padEnd(width)}  ${(c.sourceCommit ?? '-').slice(0, 12).padEnd(12)}  ${lag}`);
    }
  }
  return lines.join('\n');
}
