/** Kubernetes' name rules for rendered objects: what must pass as well as what must fail. */
import { describe, expect, it } from 'vitest';
import { KilnError } from '../../src/errors.js';
import { depthExceeds, nameProblem, validateObjects } from '../../src/manifests/validate-objects.js';
import type { K8sObject } from '../../src/model.js';

const origin = { profile: 'p', component: 'c', cluster: 'dev-1' };
const obj = (apiVersion: string, kind: string, name: string, namespace?: string): K8sObject => ({ apiVersion, kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) } });

describe('validateObjects', () => {
  it.each([
    ['v1', 'ConfigMap', 'a', undefined],
    ['v1', 'ConfigMap', 'a.b-c.0', 'kube-system'],
    ['v1', 'ConfigMap', 'x'.repeat(253), undefined],
    ['apps/v1', 'Deployment', 'web', 'web'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:aggregate-to-view', undefined],
    ['rbac.authorization.k8s.io/v1', 'RoleBinding', 'Weird Name:with caps', 'web'],
    ['apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined],
    ['example.com/v1alpha1', 'Widget', 'w-1', 'web'],
    ['v1', 'Namespace', 'n'.repeat(63), undefined],
    ['v1', 'Service', 'web-1', 'web'],
  ])('accepts %s %s %s', (apiVersion, kind, name, ns) => {
    expect(() => validateObjects([obj(apiVersion, kind, name, ns)], origin)).not.toThrow();
  });

  it.each([
    ['v1', 'ConfigMap', 'x'.repeat(254), undefined, 'is 254 characters, more than 253'],
    ['v1', 'ConfigMap', 'a/b', undefined, 'DNS-1123 subdomain'],
    ['v1', 'ConfigMap', '-a', undefined, 'DNS-1123 subdomain'],
    ['v1', 'ConfigMap', 'a..b', undefined, 'DNS-1123 subdomain'],
    ['v1', 'ConfigMap', 'system:x', undefined, 'DNS-1123 subdomain'],
    ['rbac.authorization.k8s.io/v1', 'Role', '..', 'web', 'may not be ".."'],
    ['rbac.authorization.k8s.io/v1', 'ClusterRole', 'a%2fb', undefined, 'may not contain "/" or "%"'],
    ['v1', 'Namespace', 'a.b', undefined, 'DNS-1123 label'],
    ['v1', 'Service', 'a.b', 'web', 'DNS-1035 label'],
    ['v1', 'ConfigMap', 'a', 'a.b', 'invalid metadata.namespace "a.b"'],
    ['v1', 'ConfigMap', 'a', 'n'.repeat(64), 'invalid metadata.namespace'],
    ['apps/v1/x', 'Deployment', 'a', 'web', 'invalid apiVersion'],
    ['Apps/v1', 'Deployment', 'a', 'web', 'invalid apiVersion'],
    ['v1', 'config-map', 'a', 'web', 'invalid kind'],
  ])('refuses %s %s %s', (apiVersion, kind, name, ns, why) => {
    let err: unknown;
    try {
      validateObjects([obj(apiVersion, kind, name, ns)], origin);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KilnError);
    const line = (err as KilnError).oneLine();
    expect(line.startsWith('profile "p", component "c", cluster "dev-1": ')).toBe(true);
    expect(line).toContain(why);
    expect(line.length).toBeLessThan(600); // a 300-character name is shown cut
  });

  it('non-string namespaces and names are reported, not crashed on', () => {
    const o = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 42 } } as unknown as K8sObject;
    expect(() => validateObjects([o], origin)).toThrow(/invalid metadata.namespace "42"/);
  });

  it('nameProblem and depthExceeds agree with the limits', () => {
    expect(nameProblem('', 'ConfigMap', 'café')).toMatch(/subdomain/);
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    expect(depthExceeds(deep, 200)).toBe(true); // iterative: no stack overflow
    expect(depthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(depthExceeds({ a: [{ b: {} }] }, 3)).toBe(true);
  });

  it('an object found valid in the run is not judged again (clusters share it); an invalid one is, every time', () => {
    const valid = new WeakMap<K8sObject, true>();
    let reads = 0;
    const shared = obj('v1', 'ConfigMap', 'a', 'web');
    const counted = new Proxy(shared, { get: (t, k) => ((reads += k === 'kind' ? 1 : 0), Reflect.get(t, k)) });
    validateObjects([counted], origin, valid);
    const once = reads;
    expect(once).toBeGreaterThan(0);
    validateObjects([counted], { ...origin, cluster: 'dev-2' }, valid);
    expect(reads).toBe(once); // remembered: not read again
    validateObjects([counted], origin);
    expect(reads).toBe(2 * once); // no memo given: judged
    const bad = obj('v1', 'ConfigMap', 'a/b');
    for (const cluster of ['dev-1', 'dev-2']) expect(() => validateObjects([bad], { ...origin, cluster }, valid)).toThrow(new RegExp(`cluster "${cluster}".*DNS-1123 subdomain`));
    expect(valid.has(bad)).toBe(false);
  });
});
