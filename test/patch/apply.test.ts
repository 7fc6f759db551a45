import { describe, expect, it } from 'vitest';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { applyPatches } from '../../src/patch/apply.js';
import { kustomizeTool, tmp } from '../helpers/tools.js';
import { kustomizeDirect } from './kustomize-direct.js';

const deployment: K8sObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'web', labels: { app: 'web', tier: 'front' }, annotations: { team: 'a' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 8080 }] },
          { name: 'sidecar', image: 'sidecar:1' },
        ],
      },
    },
  },
};
const svc: K8sObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'web', labels: { app: 'web' } }, spec: { ports: [{ port: 80 }] } };
const cm: K8sObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config-abc', namespace: 'web' }, data: { k: 'v' } };
const objects = [deployment, svc, cm];


const byKind = (objs: K8sObject[]) => Object.fromEntries(objs.map((o) => [o.kind, o]));

describe('post-patches', () => {
  const ctx = () => ({ kustomize: kustomizeTool(), tmpDir: tmp(), timeoutMs: 60_000, what: 'profile "p" on cluster "c"' });

  it('strategic merge merges containers and env by name, as Kustomize does', async () => {
    const patches: PatchSpec[] = [
      {
        patch: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          env:\n            - name: B\n              value: changed\n            - name: C\n              value: "3"\n`,
      },
    ];
    const out = byKind(await applyPatches(objects, patches, ctx()));
    const containers = (out.Deployment!.spec as any).template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['web', 'sidecar']);
    expect(Object.fromEntries(containers[0].env.map((e: any) => [e.name, e.value]))).toEqual({ A: '1', B: 'changed', C: '3' });
    expect(containers[0].image).toBe('web:1');
    expect(out).toEqual(byKind(kustomizeDirect(objects, patches)));
  });

  it('$patch: delete removes one container and keeps the rest', async () => {
    const patches: PatchSpec[] = [
      { target: { kind: 'Deployment', name: 'web' }, patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } } },
    ];
    const out = byKind(await applyPatches(objects, patches, ctx()));
    expect((out.Deployment!.spec as any).template.spec.containers.map((c: any) => c.name)).toEqual(['web']);
    expect(out).toEqual(byKind(kustomizeDirect(objects, patches)));
  });

  it('JSON 6902 with label selector, name regex and annotation selector targets', async () => {
    const patches: PatchSpec[] = [
      { target: { labelSelector: 'app=web' }, patch: [{ op: 'add', path: '/metadata/annotations/patched', value: 'by-label' }] },
      { target: { kind: 'ConfigMap', name: 'web-config-.*' }, patch: '- op: replace\n  path: /data/k\n  value: regex\n' },
      { target: { annotationSelector: 'team=a' }, patch: [{ op: 'add', path: '/spec/replicas', value: 3 }] },
    ];
    const out = byKind(await applyPatches(objects, patches, ctx()));
    expect(out.Deployment!.metadata.annotations?.patched).toBe('by-label');
    expect(out.Service!.metadata.annotations?.patched).toBe('by-label');
    expect(out.ConfigMap!.metadata.annotations?.patched).toBeUndefined();
    expect(out.ConfigMap!.data).toEqual({ k: 'regex' });
    expect((out.Deployment!.spec as any).replicas).toBe(3);
    expect(out).toEqual(byKind(kustomizeDirect(objects, patches)));
  });

  it('a patch that fails names the declaring file and kustomize\'s message', async () => {
    const patches: PatchSpec[] = [{ target: { kind: 'Deployment' }, patch: [{ op: 'replace', path: '/spec/nothing/here', value: 1 }], source: { file: 'profiles/web.yaml', line: 12, col: 7 } }];
    const err = await applyPatches(objects, patches, ctx()).catch((e) => e);
    expect(err.oneLine()).toMatch(/^profiles\/web.yaml:12:7: patches for profile "p" on cluster "c" failed: kustomize: .+/);
  });

  it('identical inputs are patched once (memo) with identical results', async () => {
    const patches: PatchSpec[] = [{ target: { kind: 'Service' }, patch: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] }];
    const a = await applyPatches(objects, patches, ctx());
    const b = await applyPatches(structuredClone(objects), patches, ctx());
    expect(b).toEqual(a);
    expect(a).not.toBe(b);
  });
});
