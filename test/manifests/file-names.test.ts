import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assignFileNames } from '../../src/manifests/file-names.js';
import { keyOf } from '../../src/manifests/keys.js';
import type { K8sObject } from '../../src/model.js';

const obj = (kind: string, name: string, namespace?: string, apiVersion = 'v1'): K8sObject => ({
  apiVersion,
  kind,
  metadata: namespace === undefined ? { name } : { name, namespace },
});

describe('file names', () => {
  it('are readable for ordinary objects', () => {
    const objs = [obj('Deployment', 'web', 'web', 'apps/v1'), obj('ClusterRole', 'web-reader', undefined, 'rbac.authorization.k8s.io/v1')];
    const names = assignFileNames(objs);
    expect(names.get(keyOf(objs[0]!))).toBe('web--deployment--web.yaml');
    expect(names.get(keyOf(objs[1]!))).toBe('clusterrole--web-reader.yaml');
  });

  it('never escape the directory and stay in [a-z0-9.-], whatever the name holds', () => {
    const hostile = ['../../etc/passwd', '/abs', '..', '.', 'a/b', 'system:aggregate-to-edit', 'Ünïcödé-名前', 'x'.repeat(300), 'UPPER', 'a\nb', '.hidden', 'a..b'];
    const objs = hostile.map((n) => obj('ConfigMap', n, '../ns'));
    const names = assignFileNames(objs);
    const files = new Set<string>();
    for (const o of objs) {
      const f = names.get(keyOf(o))!;
      expect(f).toMatch(/^[a-z0-9][a-z0-9.-]*\.yaml$/);
      expect(f.length).toBeLessThan(255);
      expect(path.posix.normalize(`out/${f}`)).toBe(`out/${f}`);
      expect(path.posix.dirname(`out/${f}`)).toBe('out');
      files.add(f);
    }
    expect(files.size).toBe(objs.length);
  });

  it('disambiguates collisions independently of order', () => {
    // "a--b" in ns "x" and "b" in ns "x--a"? No: same kind, names differing only by case or group collide.
    const a = obj('Certificate', 'tls', 'web', 'cert-manager.io/v1');
    const b = obj('Certificate', 'tls', 'web', 'other.example.com/v1');
    const c = obj('ConfigMap', 'Config', 'web');
    const d = obj('ConfigMap', 'config', 'web');
    const one = assignFileNames([a, b, c, d]);
    const two = assignFileNames([d, c, b, a]);
    for (const o of [a, b, c, d]) expect(one.get(keyOf(o))).toBe(two.get(keyOf(o)));
    expect(new Set([a, b, c, d].map((o) => one.get(keyOf(o)))).size).toBe(4);
    // exact names keep the readable form only while they are unique
    expect(one.get(keyOf(d))).toMatch(/^web--configmap--config-[0-9a-f]{8}\.yaml$/);
  });
});
