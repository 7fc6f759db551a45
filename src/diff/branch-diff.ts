/**
 * The diff of a render against what its rendered branch holds, by the same rule and counter as
 * `kiln diff` (objects keyed by identity, default ignores, secrets masked): `promote` counts and
 * describes its changes with it, so both commands give the same numbers for the same change.
 */
import { isBranchMeta } from '../git/objects.js';
import { readObjects } from '../git/remote.js';
import { compareCluster, createParsedFiles, groupClusters, type ClusterDiff, type CompareOptions } from './compare.js';
import { DEFAULT_IGNORES, parseIgnore, profileIgnores } from './ignore.js';
import { createMasker } from './mask.js';
import type { DiffReport, DiffSideInfo, RiskFlag } from './model.js';
import { mergeRisks } from './risk.js';

const deployed = (p: string) => !isBranchMeta(p);

export function defaultCompareOptions(): CompareOptions & { patterns: string[] } {
  return { ignore: DEFAULT_IGNORES.map(parseIgnore), patterns: [...DEFAULT_IGNORES], masker: createMasker(), parsed: createParsedFiles() };
}

/** `cmp` plus each profile's own `diffIgnore` (for its objects only), named in the patterns a report lists. */
export function withProfileIgnores<T extends CompareOptions & { patterns: string[] }>(cmp: T, profiles: ReadonlyArray<{ name: string; spec: Record<string, unknown> }>): T {
  const own = profileIgnores(profiles);
  return { ...cmp, profileIgnore: own, patterns: [...cmp.patterns, ...[...own].flatMap(([p, rules]) => rules.map((r) => `${r.pattern} (profile ${p})`))] };
}

/** As `kiln diff` compares a fleet's branches: the default ignores and the profiles' `diffIgnore`. */
export const fleetCompareOptions = (profiles: ReadonlyArray<{ name: string; spec: Record<string, unknown> }>) => withProfileIgnores(defaultCompareOptions(), profiles);

export interface BranchSide {
  branch: string;
  /** Cluster name(s), comma-joined when clusters share the branch. */
  cluster: string;
  environment: string;
  /** The branch's deployed files now: path → blob id (absent: no such branch yet). */
  before?: Map<string, string>;
  /** The render's files: path → text. */
  after: Map<string, string>;
}

/** Object diffs of each branch; `work` is a git dir holding the branches' blobs (fetched heads). */
export async function diffBranches(work: string, sides: BranchSide[], cmp: CompareOptions = defaultCompareOptions()): Promise<ClusterDiff[]> {
  const afterOf = (s: BranchSide) => new Map([...s.after].filter(([p]) => deployed(p)));
  const wanted = new Set<string>();
  for (const s of sides) for (const [p, id] of s.before ?? []) if (deployed(p)) wanted.add(id);
  const blobs = await readObjects(work, [...wanted]);
  return sides.map((s) => {
    const before = s.before ? new Map([...s.before].filter(([p]) => deployed(p)).map(([p, id]) => [p, blobs.get(id)?.body.toString('utf8') ?? ''])) : undefined;
    const objects = compareCluster(before && { outputPath: '', files: before }, { outputPath: '', files: afterOf(s) }, cmp, { before: `${s.branch} (published)`, after: `${s.branch} (render)` });
    return { summary: { name: s.cluster, environment: s.environment, branch: s.branch }, objects };
  });
}

/** A diff report from per-cluster diffs: groups and totals as `kiln diff` computes them. */
export function diffReport(base: DiffSideInfo, head: DiffSideInfo, ignore: string[], results: ClusterDiff[]): DiffReport {
  const { clusters, groups } = groupClusters(results);
  const risks: Partial<Record<RiskFlag, number>> = {};
  const totals = { added: 0, changed: 0, removed: 0 };
  for (const g of groups) {
    const n = g.clusters.length;
    totals.added += g.added * n;
    totals.changed += g.changed * n;
    totals.removed += g.removed * n;
    for (const o of g.objects) for (const r of o.risks) risks[r] = (risks[r] ?? 0) + n;
  }
  const byProfile = new Map<string, string[]>();
  for (const c of clusters) for (const p of c.removedProfiles ?? []) byProfile.set(p, [...(byProfile.get(p) ?? []), c.name]);
  return {
    schema: 'kiln.dev/diff/v1',
    base,
    head,
    ignore,
    totals: { clusters: clusters.length, changedClusters: clusters.filter((c) => c.group !== undefined).length, groups: groups.length, ...totals, risks: Object.fromEntries(mergeRisks([Object.keys(risks) as RiskFlag[]]).map((r) => [r, risks[r]!])) },
    clusters,
    groups,
    removedProfiles: [...byProfile.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([profile, cs]) => ({ profile, clusters: cs.sort() })),
  };
}
