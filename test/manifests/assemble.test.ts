import { describe, expect, it } from 'vitest';
import { checkNoDuplicates, resolveTiers } from '../../src/manifests/assemble.js';
import { builtinScope, defaultNamespace, groupKind, scopesFromCRDs } from '../../src/manifests/namespaces.js';
import type { K8sObject } from '../../src/model.js';

const np = (v: string): K8sObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'web' }, spec: { v } });

describe('tiers', () => {
  it('lower tier wins with a warning', () => {
    const { outputs, warnings } = resolveTiers(
      [
        { profile: 'base', tier: 100, objects: [np('base')] },
        { profile: 'edge', tier: 5, objects: [np('edge')] },
      ],
      'c1',
    );
    expect(outputs.find((o) => o.profile === 'base')!.objects).toEqual([]);
    expect(outputs.find((o) => o.profile === 'edge')!.objects[0]!.spec).toEqual({ v: 'edge' });
    expect(warnings[0]!.message).toMatch(/"edge" wins/);
  });

  it('equal tiers are an error naming both profiles and the object', () => {
    expect(() =>
      resolveTiers(
        [
          { profile: 'a', tier: 100, objects: [np('a')] },
          { profile: 'b', tier: 100, objects: [np('b')] },
        ],
        'c1',
      ),
    ).toThrow(/profiles "a" and "b" both render networking.k8s.io\/NetworkPolicy web\/deny with tier 100/);
  });

  it('one profile rendering an object twice is an error', () => {
    expect(() => checkNoDuplicates([np('a'), np('b')], 'profile "x"')).toThrow(/more than once/);
  });
});

describe('default namespace', () => {
  it('skips cluster-scoped kinds, including CRD-declared ones, and keeps explicit namespaces', () => {
    const crd: K8sObject = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.x.io' }, spec: { group: 'x.io', scope: 'Cluster', names: { kind: 'Gadget' } } };
    const objs: K8sObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'other' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
      { apiVersion: 'x.io/v1', kind: 'Gadget', metadata: { name: 'g' } },
      crd,
    ];
    const crds = scopesFromCRDs(objs);
    const out = defaultNamespace(objs, 'ns', (o) => crds.get(groupKind(o)) ?? builtinScope(groupKind(o)) ?? false);
    expect(out.map((o) => o.metadata.namespace)).toEqual(['ns', 'other', undefined, undefined, undefined]);
    expect(objs[0]!.metadata.namespace).toBeUndefined(); // inputs are not mutated (renders are shared)
  });
});
