/**
 * `createNamespaces: true` on a profile: the Namespace objects its components use — the namespaces of
 * its namespaced objects and each component's target namespace (the Helm release's, else the
 * profile's) — unless the cluster's render already holds that Namespace, from any profile. A namespace
 * two such profiles use is created once, by the first in profile order, so neither tiers nor
 * duplicates come into play. The namespaces every cluster has (`default`, `kube-*`) are never emitted:
 * a branch that owned them would have Flux or Argo CD try to prune them.
 */
import type { K8sObject } from '../model.js';

const SYSTEM = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

export interface NamespaceOwner {
  profile: string;
  /** Namespaces the profile's components target, whether or not an object lands there. */
  targets: string[];
}

const isNamespace = (o: K8sObject) => o.apiVersion === 'v1' && o.kind === 'Namespace';

/** `byProfile` with each owner's missing Namespace objects appended (sorted by name); others unchanged. */
export function addNamespaces(byProfile: Map<string, K8sObject[]>, owners: readonly NamespaceOwner[], clusterScoped: (o: K8sObject) => boolean): Map<string, K8sObject[]> {
  if (!owners.length) return byProfile;
  const present = new Set<string>();
  for (const objects of byProfile.values()) for (const o of objects) if (isNamespace(o) && o.metadata.name) present.add(o.metadata.name);
  const out = new Map(byProfile);
  for (const { profile, targets } of owners) {
    const objects = byProfile.get(profile) ?? [];
    const used = new Set(targets);
    for (const o of objects) if (o.metadata.namespace && !clusterScoped(o)) used.add(o.metadata.namespace);
    const add = [...used].filter((ns) => !SYSTEM.has(ns) && !present.has(ns)).sort();
    for (const ns of add) present.add(ns);
    if (add.length) out.set(profile, [...objects, ...add.map((name): K8sObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }))]);
  }
  return out;
}
