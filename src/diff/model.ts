/** The diff report: what `kiln diff --json` prints (schema `kiln.dev/diff/v1`) and markdown is made from. */
import type { CheckSummary } from '../check/model.js';

/** The hidden marker that finds kiln's sticky comment again (and a diff file in the work tree). */
export const DIFF_MARKER = '<!-- kiln:diff -->';

export type DiffAction = 'added' | 'removed' | 'changed';

/** Review-worthy traits of a change, shown in the summary. */
export type RiskFlag = 'deletion' | 'namespace-deletion' | 'crd' | 'rbac' | 'immutable-field';

export const RISK_LABELS: Record<RiskFlag, string> = {
  deletion: 'deletions',
  'namespace-deletion': 'namespace deletions',
  crd: 'CRD changes',
  rbac: 'RBAC changes',
  'immutable-field': 'immutable field changes',
};

export interface ObjectDiff {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  /** The profile directory the object lives in (on the side that has it; head wins). */
  profile: string;
  action: DiffAction;
  risks: RiskFlag[];
  /** Field paths of immutable fields that changed (e.g. `spec.selector`): the apply will fail. */
  immutableFields: string[];
  /** Extra facts for reviewers: renames, secret keys whose value changed. */
  notes: string[];
  /** Unified diff of the normalised, masked YAML (`---`/`+++` headers left out). */
  diff: string;
}

export interface ClusterSummary {
  name: string;
  environment: string;
  branch: string;
  /** The rendered commit compared against (published mode), when the branch exists. */
  baseCommit?: string;
  /** 1-based index into `groups`; absent when the cluster has no change. */
  group?: number;
  added: number;
  changed: number;
  removed: number;
  risks: RiskFlag[];
  /** Profiles the base deploys on this cluster and the head does not at all (whole profile removals). */
  removedProfiles?: string[];
}

/** A profile no longer deployed on these clusters: listed before everything else. */
export interface ProfileRemoval {
  profile: string;
  clusters: string[];
}

export interface DiffGroup {
  id: number;
  /** Every cluster with this change (the same changed lines on the same objects), sorted. */
  clusters: string[];
  /** With several clusters: the one whose diffs (and their context lines) `objects` shows. */
  representative?: string;
  added: number;
  changed: number;
  removed: number;
  risks: RiskFlag[];
  objects: ObjectDiff[];
}

export interface DiffSideInfo {
  kind: 'published' | 'ref' | 'worktree';
  /** published: the remote as given; ref: the ref as given. */
  ref?: string;
  commit?: string;
  dirty?: boolean;
}

export interface DiffReport {
  schema: 'kiln.dev/diff/v1';
  base: DiffSideInfo;
  head: DiffSideInfo;
  /** Field patterns whose changes were ignored (defaults included). */
  ignore: string[];
  totals: { clusters: number; changedClusters: number; groups: number; added: number; changed: number; removed: number; risks: Partial<Record<RiskFlag, number>> };
  clusters: ClusterSummary[];
  groups: DiffGroup[];
  /** Whole profiles removed from clusters, by profile (also per cluster in `clusters[].removedProfiles`). */
  removedProfiles: ProfileRemoval[];
  /** What the checks found on the head side's rendered clusters (absent with --no-check). */
  checks?: CheckSummary;
}
