import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../../src/model.js';
import { imagesOf, isSecretFile } from '../../src/report/collect.js';
import { parseTree } from '../../src/report/read-branches.js';
import { embedJson } from '../../src/report/site.js';

const obj = (kind: string, spec: unknown) => ({ apiVersion: 'v1', kind, metadata: { name: 'x' }, spec }) as unknown as K8sObject;
const pod = { initContainers: [{ name: 'i', image: 'init:1' }], containers: [{ name: 'a', image: 'app:2' }, { name: 'b', image: 'side:3' }] };

describe('report internals', () => {
  it('walks pod templates of every workload kind: containers and initContainers', () => {
    expect(imagesOf(obj('Pod', pod))).toEqual(['init:1', 'app:2', 'side:3']);
    for (const k of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job']) expect(imagesOf(obj(k, { template: { spec: pod } })), k).toEqual(['init:1', 'app:2', 'side:3']);
    expect(imagesOf(obj('CronJob', { jobTemplate: { spec: { template: { spec: pod } } } }))).toEqual(['init:1', 'app:2', 'side:3']);
    expect(imagesOf(obj('ConfigMap', { template: { spec: pod } }))).toEqual([]);
    expect(imagesOf(obj('Deployment', { template: { spec: { containers: [{ name: 'n' }] } } }))).toEqual([]);
  });

  it('recognises Secret files by name so their blobs are never read', () => {
    expect(isSecretFile('manifests/p/web--secret--db.yaml')).toBe(true);
    expect(isSecretFile('manifests/p/secret--cluster-scoped.yaml')).toBe(true);
    expect(isSecretFile('manifests/p/secret--configmap--x.yaml')).toBe(false); // a ConfigMap in namespace "secret"
    expect(isSecretFile('manifests/p/web--configmap--secret.yaml')).toBe(false);
    expect(isSecretFile('manifests/p/web--sealedsecret.bitnami.com--db.yaml')).toBe(false);
  });

  it('embedded JSON cannot close its <script> and round-trips', () => {
    const v = { s: '</script><script>alert(1)</script>', t: 'a\u2028b&c>' };
    const e = embedJson(v);
    expect(e).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(e)).toEqual(v);
  });

  it('parses binary git trees', () => {
    const id = Buffer.from('ab'.repeat(20), 'hex');
    const body = Buffer.concat([Buffer.from('100644 a.yaml\0'), id, Buffer.from('40000 dir\0'), id]);
    expect(parseTree(body)).toEqual([
      { mode: '100644', name: 'a.yaml', id: 'ab'.repeat(20) },
      { mode: '40000', name: 'dir', id: 'ab'.repeat(20) },
    ]);
  });
});
