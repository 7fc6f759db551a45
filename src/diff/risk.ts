/** Risk flags: the changes a reviewer of a fleet-wide diff must not miss. */
import { isDeepStrictEqual } from 'node:util';
import type { K8sObject } from '../model.js';
import type { DiffAction, RiskFlag } from './model.js';

/** Fields the API server refuses to change in place (group/kind → dotted paths). */
const IMMUTABLE: Record<string, string[]> = {
  'apps/Deployment': ['spec.selector'],
  'apps/StatefulSet': ['spec.selector', 'spec.serviceName', 'spec.volumeClaimTemplates'],
  'apps/DaemonSet': ['spec.selector'],
  'batch/Job': ['spec.selector', 'spec.template'],
  '/Service': ['spec.clusterIP', 'spec.clusterIPs'],
  '/PersistentVolumeClaim': ['spec.storageClassName', 'spec.accessModes'],
};

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/** Immutable fields that differ between two versions of one object. */
export function immutableChanges(group: string, before: K8sObject, after: K8sObject): string[] {
  return (IMMUTABLE[`${group}/${before.kind}`] ?? []).filter((f) => !isDeepStrictEqual(get(before, f), get(after, f)));
}

export function risksOf(group: string, kind: string, action: DiffAction, immutable: string[]): RiskFlag[] {
  const out: RiskFlag[] = [];
  if (action === 'removed') out.push('deletion');
  if (action === 'removed' && group === '' && kind === 'Namespace') out.push('namespace-deletion');
  if (kind === 'CustomResourceDefinition' && group === 'apiextensions.k8s.io') out.push('crd');
  if (group === 'rbac.authorization.k8s.io') out.push('rbac');
  if (immutable.length) out.push('immutable-field');
  return out;
}

const ORDER: RiskFlag[] = ['namespace-deletion', 'deletion', 'crd', 'rbac', 'immutable-field'];

export function mergeRisks(lists: Iterable<readonly RiskFlag[]>): RiskFlag[] {
  const s = new Set<RiskFlag>();
  for (const l of lists) for (const r of l) s.add(r);
  return ORDER.filter((r) => s.has(r));
}
