import { describe, expect, it } from 'vitest';
import { defaultNamespace } from '../../src/manifests/namespaces.js';
import type { K8sObject } from '../../src/model.js';

const o = (apiVersion: string, kind: string): K8sObject => ({ apiVersion, kind, metadata: { name: 'x' } });

describe('default namespace', () => {
  it('leaves every Gatekeeper constraint cluster-scoped, not only K8sRequiredLabels; namespaced kinds get it', () => {
    const out = defaultNamespace([o('constraints.gatekeeper.sh/v1beta1', 'K8sAllowedRepos'), o('constraints.gatekeeper.sh/v1beta1', 'K8sRequiredLabels'), o('v1', 'ConfigMap')], 'ns', new Map());
    expect(out.map((x) => x.metadata.namespace)).toEqual([undefined, undefined, 'ns']);
  });

  it('a CRD in the render decides over the built-in list', () => {
    const out = defaultNamespace([o('constraints.gatekeeper.sh/v1beta1', 'Odd')], 'ns', new Map([['constraints.gatekeeper.sh/Odd', false]]));
    expect(out[0]!.metadata.namespace).toBe('ns');
  });
});
