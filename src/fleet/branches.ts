/** Clusters map to branches; several may share one (each in its own output path). */
import { mergeBranchTrees } from '../manifests/tree.js';
import type { ClusterPlan } from './plan.js';

export interface BranchFiles {
  branch: string;
  /** Comma-separated names of the clusters on the branch. */
  cluster: string;
  environment: string;
  files: Map<string, string>;
}

export function groupByBranch(plans: ClusterPlan[]): Map<string, ClusterPlan[]> {
  const m = new Map<string, ClusterPlan[]>();
  for (const p of plans) m.set(p.branch, [...(m.get(p.branch) ?? []), p]);
  return m;
}

/**
 * Collect per-cluster renders (arriving in any order) into whole branches: `onBranch` is called once
 * per branch, as soon as its last cluster is in, so a branch is never written half-rendered.
 */
export function branchCollector(plans: ClusterPlan[], onBranch: (b: BranchFiles) => Promise<void>): (plan: ClusterPlan, files: Map<string, string>) => Promise<void> {
  const groups = groupByBranch(plans);
  const waiting = new Map<string, Array<{ cluster: string; files: Map<string, string> }>>();
  return async (plan, files) => {
    const group = groups.get(plan.branch)!;
    const got = waiting.get(plan.branch) ?? [];
    got.push({ cluster: plan.cluster.name, files });
    waiting.set(plan.branch, got);
    if (got.length < group.length) return;
    waiting.delete(plan.branch);
    await onBranch({ branch: plan.branch, cluster: group.map((p) => p.cluster.name).join(','), environment: plan.cluster.environment, files: mergeBranchTrees(plan.branch, got) });
  };
}
