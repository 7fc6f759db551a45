/** Which clusters a profile lands on: Kubernetes label-selector semantics, ORed with an explicit name list. */
import type { Cluster, LabelSelector, LabelSelectorRequirement, Profile } from '../model.js';

function has(labels: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

function requirementMatches(r: LabelSelectorRequirement, labels: Record<string, string>): boolean {
  const present = has(labels, r.key);
  switch (r.operator) {
    case 'In':
      return present && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn':
      // as in Kubernetes: a missing label is "not in" any set
      return !present || !(r.values ?? []).includes(labels[r.key]!);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    default:
      return false;
  }
}

/** matchLabels AND matchExpressions; an empty selector `{}` matches everything, as in Kubernetes. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    if (!has(labels, k) || labels[k] !== v) return false;
  }
  return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

/** A profile with neither `clusterSelector` nor `clusters` selects nothing. */
export function selects(profile: Profile, cluster: Cluster): boolean {
  if (profile.clusters?.includes(cluster.name)) return true;
  return profile.clusterSelector !== undefined && selectorMatches(profile.clusterSelector, cluster.labels);
}

function describeRequirement(r: LabelSelectorRequirement): string {
  if (r.operator === 'Exists') return `${r.key} exists`;
  if (r.operator === 'DoesNotExist') return `${r.key} does not exist`;
  return `${r.key} ${r.operator} (${(r.values ?? []).join(', ')})`;
}

/** The selector as text, e.g. `matchLabels tier=edge, region In (eu, us)`. */
export function describeSelector(sel: LabelSelector): string {
  const parts: string[] = [];
  const ml = Object.entries(sel.matchLabels ?? {});
  if (ml.length) parts.push(`matchLabels ${ml.map(([k, v]) => `${k}=${v}`).join(',')}`);
  parts.push(...(sel.matchExpressions ?? []).map(describeRequirement));
  return parts.length ? parts.join(', ') : 'clusterSelector {} selects every cluster';
}

/** Why `profile` lands on `cluster` (for `kiln ls`), or why not. */
export function describeMatch(profile: Profile, cluster: Cluster): string {
  const why: string[] = [];
  if (profile.clusters?.includes(cluster.name)) why.push(`clusters: [${cluster.name}]`);
  if (profile.clusterSelector && selectorMatches(profile.clusterSelector, cluster.labels)) why.push(describeSelector(profile.clusterSelector));
  if (why.length) return why.join('; ');
  if (!profile.clusterSelector && !profile.clusters) return 'not selected: the profile has no clusterSelector and no clusters';
  const failing: string[] = [];
  const sel = profile.clusterSelector;
  if (sel) {
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
      if (cluster.labels[k] !== v || !has(cluster.labels, k)) failing.push(`${k}=${v}`);
    }
    for (const r of sel.matchExpressions ?? []) if (!requirementMatches(r, cluster.labels)) failing.push(describeRequirement(r));
  }
  return `not selected${failing.length ? `: ${failing.join(', ')} does not hold` : ': not in clusters'}`;
}
