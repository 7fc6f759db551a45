import { describe, expect, it } from 'vitest';
import { clusterScopes, type FleetCrds, type KindScopeDecl, type ScopeNeed } from '../../src/fleet/kind-scopes.js';
import type { RenderSession } from '../../src/fleet/session.js';
import { builtinScope, defaultNamespace } from '../../src/manifests/namespaces.js';
import type { K8sObject } from '../../src/model.js';

const o = (apiVersion: string, kind: string, name = 'x'): K8sObject => ({ apiVersion, kind, metadata: { name } });
const crd = (group: string, kind: string, scope: string): K8sObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${kind.toLowerCase()}s.${group}` }, spec: { group, scope, names: { kind } } });
const needs = (objs: K8sObject[]): ScopeNeed[] => objs.map((object) => ({ object, namespace: 'ns', who: 'profile "p", component "c"' }));

/** Just what clusterScopes reads of a session: the declarations and the fleet scan (counted). */
function session(kindScopes: KindScopeDecl[], fleet?: FleetCrds): RenderSession & { scans: number } {
  const s = { kindScopes, scans: 0 } as unknown as RenderSession & { scans: number };
  if (fleet) s.fleetCrds = async () => (s.scans++, fleet);
  return s;
}

describe('default namespace', () => {
  it('leaves every Gatekeeper constraint cluster-scoped, not only K8sRequiredLabels; namespaced kinds get it', () => {
    const scope = (x: K8sObject) => builtinScope(`${x.apiVersion.split('/')[0]}/${x.kind}`) ?? false;
    const out = defaultNamespace([o('constraints.gatekeeper.sh/v1beta1', 'K8sAllowedRepos'), o('constraints.gatekeeper.sh/v1beta1', 'K8sRequiredLabels'), o('v1', 'ConfigMap')], 'ns', (x) => (x.apiVersion === 'v1' ? false : scope(x)));
    expect(out.map((x) => x.metadata.namespace)).toEqual([undefined, undefined, 'ns']);
  });

  it("MetalLB's BGPPeer is namespaced (its CRD says so), Calico's cluster-scoped one is another group", () => {
    expect(builtinScope('metallb.io/BGPPeer')).toBeUndefined();
    expect(builtinScope('apps/Deployment')).toBe(false);
    expect(builtinScope('/Namespace')).toBe(true);
  });
});

describe('kind scopes', () => {
  const widget = o('example.com/v1', 'Widget', 'w1');

  it('a CRD in the cluster\'s own render decides over the built-in table and needs no fleet scan', async () => {
    const s = session([], new Map());
    const r = await clusterScopes([crd('constraints.gatekeeper.sh', 'Odd', 'Namespaced')], needs([o('constraints.gatekeeper.sh/v1beta1', 'Odd')]), s, 'a');
    expect(r.clusterScoped(o('constraints.gatekeeper.sh/v1beta1', 'Odd'))).toBe(false);
    expect([r.warnings, r.external, s.scans]).toEqual([[], false, 0]);
  });

  it('spec.kindScopes answers before the fleet scan (which then never runs), by kind or by group', async () => {
    const s = session([{ group: 'example.com', kind: 'Widget', scope: 'Cluster' }, { group: 'other.io', kind: '*', scope: 'Cluster' }], new Map([['example.com/Widget', { cluster: false, from: 'x' }]]));
    const r = await clusterScopes([], needs([widget, o('other.io/v1', 'Any')]), s, 'a');
    expect([r.clusterScoped(widget), r.clusterScoped(o('other.io/v1', 'Any')), r.external, s.scans]).toEqual([true, true, false, 0]);
  });

  it('a declaration contradicting a CRD the cluster renders is an error naming both', async () => {
    await expect(clusterScopes([crd('example.com', 'Widget', 'Namespaced')], [], session([{ group: 'example.com', kind: 'Widget', scope: 'Cluster' }]), 'a')).rejects.toThrow(
      /spec\.kindScopes declares example\.com\/Widget Cluster, but the CRD rendered for cluster "a" says Namespaced/,
    );
  });

  it('an unknown kind asks the fleet scan once; its CRD from another cluster decides', async () => {
    const s = session([], new Map([['example.com/Widget', { cluster: true, from: 'cluster "b", profile "crds", component "c"' }]]));
    const r = await clusterScopes([], needs([widget, o('example.com/v1', 'Widget', 'w2')]), s, 'a');
    expect([r.clusterScoped(widget), r.warnings, r.external, s.scans]).toEqual([true, [], true, 1]);
  });

  it('fleet CRDs that disagree are an error naming both renders and the declaration to add', async () => {
    const s = session([], new Map([['example.com/Widget', { cluster: true, from: 'cluster "b"', conflict: { cluster: false, from: 'cluster "c"' } }]]));
    await expect(clusterScopes([], needs([widget]), s, 'a')).rejects.toThrow(/CRDs disagree on its scope: cluster "b" says Cluster, cluster "c" says Namespaced/);
  });

  it('a kind nobody knows is taken as namespaced with one warning per component naming the kind, the object and the declaration', async () => {
    const r = await clusterScopes([], needs([widget, o('example.com/v1', 'Widget', 'w2')]), session([], new Map()), 'a');
    expect(r.clusterScoped(widget)).toBe(false);
    expect(r.external).toBe(true);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'profile "p", component "c": example.com/Widget w1 has no namespace, and no CRD the fleet renders, no entry of kiln.yaml spec.kindScopes and no table of kiln\'s says whether example.com/Widget is namespaced; taken as namespaced (namespace "ns"). Declare it: spec.kindScopes: [{group: "example.com", kind: Widget, scope: Namespaced}] (or scope: Cluster)',
    ]);
  });
});
