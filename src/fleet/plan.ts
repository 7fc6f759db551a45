/** Which clusters a command works on, and the templated profiles each one gets. */
import { createHash } from 'node:crypto';
import { KilnError, KilnErrors } from '../errors.js';
import type { Cluster, FleetConfig, Profile, ResolvedProfile } from '../model.js';
import { resolveProfile } from './resolve.js';
import { sharedResolver } from './resolve-memo.js';
import { selects } from './selector.js';
import { clusterScope, renderTemplateString } from './template.js';

export interface Selection {
  clusters?: string[];
  envs?: string[];
  /** Clusters that any of these profiles land on (rendered whole: a branch is never half-written). */
  profiles?: string[];
  shard?: Shard;
}

export interface Shard {
  /** 1-based, as GitLab's CI_NODE_INDEX. */
  index: number;
  total: number;
}

export interface ClusterPlan {
  cluster: Cluster;
  branch: string;
  outputPath: string;
  /** In dependsOn order, ties by name. */
  profiles: ResolvedProfile[];
  /** spec.output.provenance: the branch carries `.kiln/provenance.json`. */
  provenance?: boolean;
}

export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const total = m ? Number(m[2]) : NaN;
  if (!m || total < 1 || index < 1 || index > total) {
    throw new KilnError(`--shard "${s}" is not i/n with 1 ≤ i ≤ n`, { hint: 'e.g. --shard 2/4 (GitLab: $CI_NODE_INDEX/$CI_NODE_TOTAL)' });
  }
  return { index, total };
}

/**
 * Shards are assigned by rendered branch, so that clusters sharing a branch land in one shard and every
 * branch is rendered and pushed by exactly one shard. Stable across fleet growth: a branch keeps its
 * shard when others are added.
 */
export function shardOf(branch: string, total: number): number {
  const h = createHash('sha256').update(branch).digest();
  return (h.readUInt32BE(0) % total) + 1;
}

/** Topological order by dependsOn (cycles were rejected when loading), ties by name. */
export function orderProfiles(profiles: Profile[]): Profile[] {
  const byName = new Map(profiles.map((p) => [p.name, p]));
  const done = new Set<string>();
  const out: Profile[] = [];
  const visit = (p: Profile, stack: Set<string>): void => {
    if (done.has(p.name) || stack.has(p.name)) return;
    stack.add(p.name);
    for (const d of [...p.dependsOn].sort()) {
      const dep = byName.get(d);
      if (dep) visit(dep, stack);
    }
    stack.delete(p.name);
    done.add(p.name);
    out.push(p);
  };
  for (const p of [...profiles].sort((a, b) => a.name.localeCompare(b.name))) visit(p, new Set());
  return out;
}

export function branchFor(config: FleetConfig, cluster: Cluster): string {
  return renderTemplateString(config.output.branch, clusterScope(cluster), { doc: config.doc, path: ['spec', 'output', 'branch'] });
}

/** `output.path` may be templated so that clusters can share a branch (one directory each). */
export function outputPathFor(config: FleetConfig, cluster: Cluster): string {
  return renderTemplateString(config.output.path, clusterScope(cluster), { doc: config.doc, path: ['spec', 'output', 'path'] });
}

export function selectClusters(config: FleetConfig, sel: Selection): Cluster[] {
  const known = new Set(config.clusters.map((c) => c.name));
  for (const name of sel.clusters ?? []) {
    if (!known.has(name)) throw new KilnError(`--cluster "${name}" is not a cluster of this fleet`, { hint: `known: ${[...known].slice(0, 10).join(', ')}${known.size > 10 ? ', …' : ''}` });
  }
  const envs = new Set(config.environments.map((e) => e.name));
  for (const name of sel.envs ?? []) {
    if (!envs.has(name)) throw new KilnError(`--env "${name}" is not an environment of this fleet`, { hint: `known: ${[...envs].join(', ')}` });
  }
  const profiles = new Map(config.profiles.map((p) => [p.name, p]));
  for (const name of sel.profiles ?? []) {
    if (!profiles.has(name)) throw new KilnError(`--profile "${name}" is not a profile of this fleet`, { hint: `known: ${[...profiles.keys()].slice(0, 10).join(', ')}` });
  }
  return config.clusters.filter((c) => {
    if (sel.clusters?.length && !sel.clusters.includes(c.name)) return false;
    if (sel.envs?.length && !sel.envs.includes(c.environment)) return false;
    if (sel.profiles?.length && !sel.profiles.some((p) => selects(profiles.get(p)!, c))) return false;
    if (sel.shard && shardOf(branchFor(config, c), sel.shard.total) !== sel.shard.index) return false;
    return true;
  });
}

/** Template every selected profile for every selected cluster; all errors are reported together. */
export function planFleet(config: FleetConfig, sel: Selection = {}): ClusterPlan[] {
  const ordered = orderProfiles(config.profiles);
  const resolve = sharedResolver((p, cluster) => withReleaseNamespace(resolveProfile(p, cluster, config)));
  const errors: KilnError[] = [];
  const plans: ClusterPlan[] = [];
  for (const cluster of selectClusters(config, sel)) {
    const resolved: ResolvedProfile[] = [];
    for (const p of ordered) {
      if (!selects(p, cluster)) continue;
      try {
        resolved.push(resolve(p, cluster));
      } catch (e) {
        if (e instanceof KilnErrors) errors.push(...e.errors);
        else if (e instanceof KilnError) errors.push(e);
        else throw e;
      }
    }
    plans.push({ cluster, branch: branchFor(config, cluster), outputPath: outputPathFor(config, cluster), profiles: resolved, ...(config.output.provenance ? { provenance: true } : {}) });
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new KilnErrors(dedupe(errors));
  return plans;
}

/** A Helm release without its own namespace goes to the profile's namespace, as users expect. */
function withReleaseNamespace(p: ResolvedProfile): ResolvedProfile {
  if (!p.namespace) return p;
  return {
    ...p,
    components: p.components.map((c) => (c.engine === 'helm' && !c.spec.namespace ? { ...c, spec: { ...c.spec, namespace: p.namespace } } : c)),
  };
}

/** The same template error repeats for every cluster; say it once per distinct line. */
function dedupe(errors: KilnError[]): KilnError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = e.oneLine();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
