/** Object identity: (group, kind, namespace, name), as Kubernetes and Kustomize key objects. */
import type { K8sObject } from '../model.js';
import { generatedName, usesGenerateName } from './generate-name.js';

export interface ObjectId {
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function idOf(o: K8sObject): ObjectId {
  const i = o.apiVersion.indexOf('/');
  return {
    group: i < 0 ? '' : o.apiVersion.slice(0, i),
    version: i < 0 ? o.apiVersion : o.apiVersion.slice(i + 1),
    kind: o.kind,
    namespace: typeof o.metadata.namespace === 'string' ? o.metadata.namespace : '',
    name: usesGenerateName(o) ? generatedName(o) : String(o.metadata.name),
  };
}

/** Version-independent key: the same Deployment as apps/v1 and apps/v1beta1 is one object. */
export function keyOf(o: K8sObject): string {
  const id = idOf(o);
  return `${id.group}|${id.kind}|${id.namespace}|${id.name}`;
}

/** Human form for messages: `apps/Deployment ingress/nginx`. */
export function describeObject(o: K8sObject): string {
  const id = idOf(o);
  const gk = id.group ? `${id.group}/${id.kind}` : id.kind;
  return `${gk} ${id.namespace ? id.namespace + '/' : ''}${id.name}`;
}

/** Deterministic order for output and metadata: namespace, group, kind, name. */
export function compareObjects(a: K8sObject, b: K8sObject): number {
  const x = idOf(a);
  const y = idOf(b);
  return (
    cmp(x.namespace, y.namespace) || cmp(x.group, y.group) || cmp(x.kind, y.kind) || cmp(x.name, y.name)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
