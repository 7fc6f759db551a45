import { loadConfig } from '../config/load.js';
import { branchFor, orderProfiles, selectClusters, type Selection } from '../fleet/plan.js';
import { describeMatch, selects } from '../fleet/selector.js';
import type { Warning } from '../model.js';
import type { GlobalOptions } from './options.js';

export interface LsResult {
  clusters: Array<{ name: string; environment: string; branch: string; labels: Record<string, string>; profiles: string[]; why: Record<string, string> }>;
  profiles: Array<{ name: string; tier: number; clusters: string[] }>;
  warnings: Warning[];
}

/** `kiln ls`: which profile lands on which cluster, and why. Selection only; nothing is templated. */
export async function ls(g: GlobalOptions, sel: Selection = {}): Promise<LsResult> {
  // a profile selecting nothing is an error elsewhere; ls --why is how one finds out why
  const { config, warnings } = await loadConfig({ cwd: g.cwd, config: g.config, emptyProfilesWarn: true });
  const ordered = orderProfiles(config.profiles);
  const clusters = selectClusters(config, sel).map((c) => {
    const matched = ordered.filter((p) => selects(p, c));
    return {
      name: c.name,
      environment: c.environment,
      branch: branchFor(config, c),
      labels: c.labels,
      profiles: matched.map((p) => p.name),
      why: Object.fromEntries(matched.map((p) => [p.name, describeMatch(p, c)])),
    };
  });
  const profiles = ordered.map((p) => ({ name: p.name, tier: p.tier, clusters: clusters.filter((c) => c.profiles.includes(p.name)).map((c) => c.name) }));
  return { clusters, profiles, warnings };
}

export function formatLs(r: LsResult, opts: { why?: boolean } = {}): string {
  const rows: string[][] = [['CLUSTER', 'ENVIRONMENT', 'BRANCH', 'PROFILES']];
  for (const c of r.clusters) {
    const profiles = opts.why ? c.profiles.map((p) => `${p} (${c.why[p]})`).join(', ') : c.profiles.join(', ');
    rows.push([c.name, c.environment, c.branch, profiles || '-']);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd());
  const unused = r.profiles.filter((p) => p.clusters.length === 0).map((p) => p.name);
  if (unused.length) table.push('', `profiles on no selected cluster: ${unused.join(', ')}`);
  return table.join('\n');
}
