/** The removed/deprecated API table: facts from Kubernetes' deprecated-API migration guide. */
import { describe, expect, it } from 'vitest';
import { API_DEPRECATIONS, apiVerdict } from '../../src/check/deprecations.js';

const sev = (apiVersion: string, kind: string, v: string) => apiVerdict(apiVersion, kind, v)?.severity ?? 'ok';

describe('removed and deprecated APIs', () => {
  it.each([
    ['policy/v1beta1', 'PodDisruptionBudget', '1.20.0', 'ok'],
    ['policy/v1beta1', 'PodDisruptionBudget', '1.24.3', 'warning'],
    ['policy/v1beta1', 'PodDisruptionBudget', '1.25.0', 'error'],
    ['policy/v1beta1', 'PodSecurityPolicy', '1.25.0', 'error'],
    ['batch/v1beta1', 'CronJob', '1.31.4', 'error'],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', '1.25.9', 'warning'],
    ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', '1.26.0', 'error'],
    ['flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema', '1.28.5', 'warning'],
    ['flowcontrol.apiserver.k8s.io/v1beta2', 'PriorityLevelConfiguration', '1.29.0', 'error'],
    ['flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.29.0', 'warning'],
    ['flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.32.1', 'error'],
    ['extensions/v1beta1', 'Ingress', '1.21.0', 'warning'],
    ['networking.k8s.io/v1beta1', 'Ingress', '1.22.0', 'error'],
    ['storage.k8s.io/v1beta1', 'CSIStorageCapacity', '1.27.0', 'error'],
    ['storage.k8s.io/v1beta1', 'CSIStorageCapacity', '1.26.0', 'warning'],
    ['apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', 'v1.22', 'error'],
    ['policy/v1', 'PodDisruptionBudget', '1.34.0', 'ok'],
    ['apps/v1', 'Deployment', '1.31.0', 'ok'],
    // another kind of a group-version that lost only some kinds stays served
    ['storage.k8s.io/v1beta1', 'VolumeAttributesClass', '1.31.0', 'ok'],
  ])('%s %s on %s: %s', (apiVersion, kind, version, want) => {
    expect(sev(apiVersion, kind, version)).toBe(want);
  });

  it('names the replacement and the removing release', () => {
    expect(apiVerdict('policy/v1beta1', 'PodDisruptionBudget', '1.24.3')!.message).toBe('policy/v1beta1 PodDisruptionBudget is deprecated since Kubernetes 1.21 and removed in 1.25: use policy/v1');
    expect(apiVerdict('policy/v1beta1', 'PodSecurityPolicy', '1.30.0')!.message).toMatch(/Pod Security Admission/);
  });

  it('no kubeVersion: no verdict; every entry is deprecated before it is removed', () => {
    expect(apiVerdict('batch/v1beta1', 'CronJob', undefined)).toBeUndefined();
    for (const d of API_DEPRECATIONS) {
      const n = (v: string) => v.split('.').map(Number).reduce((x, y) => x * 1000 + y, 0);
      expect(n(d.deprecatedIn), `${d.apiVersion}`).toBeLessThan(n(d.removedIn));
    }
  });
});
