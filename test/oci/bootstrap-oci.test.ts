/** kiln bootstrap flux|argocd --source oci: objects that follow each cluster's artifact, valid against the CRD schemas. */
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from '../../src/model.js';
import { instantiate, schemaProblems } from '../bootstrap/schemas.js';
import { kiln } from '../helpers/cli.js';
import { genFleetDir } from '../helpers/gen-fleet.js';

describe('kiln bootstrap --source oci', () => {
  let dir: string;
  beforeAll(() => {
    dir = genFleetDir({ clusters: 3 });
    appendFileSync(path.join(dir, 'kiln.yaml'), '  output:\n    oci:\n      repository: "oci://registry.example.com/fleet/{{ .Cluster.name }}"\n      tag: stable\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as K8sObject);

  it('flux: an OCIRepository on the moving tag with cosign verification, and a Kustomization on it', async () => {
    const r = await kiln('bootstrap', 'flux', '--source', 'oci', '--verify-secret', 'cosign-pub', '--cluster', 'dev-c0000', '--cwd', dir);
    expect(r.code, r.stderr).toBe(0);
    const [repo, ks] = objects(r.stdout);
    expect(repo!.kind).toBe('OCIRepository');
    expect(repo!.spec).toEqual({ url: 'oci://registry.example.com/fleet/dev-c0000', ref: { tag: 'stable' }, interval: '5m', verify: { provider: 'cosign', secretRef: { name: 'cosign-pub' } } });
    expect(ks!.kind).toBe('Kustomization');
    expect((ks!.spec as { sourceRef: unknown; path: string }).sourceRef).toEqual({ kind: 'OCIRepository', name: repo!.metadata.name });
    expect((ks!.spec as { path: string }).path).toBe('./manifests');
    for (const o of [repo!, ks!]) expect(schemaProblems(o), o.kind).toEqual([]);
  });

  it('argocd: one Application per cluster with an oci:// repoURL and the tag as targetRevision', async () => {
    const r = await kiln('bootstrap', 'argocd', '--source', 'oci', '--cwd', dir);
    expect(r.code, r.stderr).toBe(0);
    const apps = objects(r.stdout);
    expect(apps).toHaveLength(3);
    for (const a of apps) {
      const src = (a.spec as { source: Record<string, unknown> }).source;
      expect(src.repoURL).toBe(`oci://registry.example.com/fleet/${a.metadata.labels!['kiln.dev/cluster']}`);
      expect(src.targetRevision).toBe('stable');
      expect(schemaProblems(a)).toEqual([]);
    }
    expect(r.stdout).toContain('reposerver.oci.layer.media.types');
  });

  it('argocd --application-set: one valid ApplicationSet whose Applications equal the hub ones, each on its own repository', async () => {
    const r = await kiln('bootstrap', 'argocd', '--source', 'oci', '--application-set', '--json', '--cwd', dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { mode: string; files: Array<{ objects: Array<K8sObject & { spec: any }>; text: string }> };
    expect(out.mode).toBe('applicationset');
    const [set, ...rest] = out.files[0]!.objects;
    expect(rest).toEqual([]);
    expect(schemaProblems(set!)).toEqual([]);
    expect(out.files[0]!.text).toContain('reposerver.oci.layer.media.types');
    const elements = set!.spec.generators[0].list.elements as Array<Record<string, string>>;
    expect(elements.map((e) => e.cluster)).toEqual(['dev-c0000', 'prod-c0002', 'staging-c0001']);
    const hub = await kiln('bootstrap', 'argocd', '--source', 'oci', '--destination-server', 'from-label', '--cwd', dir);
    expect(hub.code, hub.stderr).toBe(0);
    const apps = objects(hub.stdout) as Array<K8sObject & { spec: any }>;
    elements.forEach((e, i) => {
      expect(e.url).toBe(`oci://registry.example.com/fleet/${e.cluster}`);
      expect(e.branch).toBeUndefined();
      const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...(instantiate(set!.spec.template, e) as object) } as K8sObject & { spec: any };
      app.metadata.namespace = 'argocd';
      expect(schemaProblems(app)).toEqual([]);
      expect(app.metadata.name).toBe(apps[i]!.metadata.name);
      expect(app.spec).toEqual(apps[i]!.spec);
    });
  });

  it('an artifacts-only fleet refuses --source git', async () => {
    const only = genFleetDir({ clusters: 1 });
    try {
      appendFileSync(path.join(only, 'kiln.yaml'), '  output:\n    branches: false\n    oci:\n      repository: "oci://registry.example.com/fleet/{{ .Cluster.name }}"\n');
      const r = await kiln('bootstrap', 'flux', '--repo-url', 'https://git.example.com/x.git', '--cwd', only);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('spec.output.branches: false');
      expect((await kiln('bootstrap', 'flux', '--source', 'oci', '--cwd', only)).code).toBe(0);
    } finally {
      rmSync(only, { recursive: true, force: true });
    }
  });

  it('refuses --source oci without spec.output.oci, and --repo-url with it', async () => {
    const plain = genFleetDir({ clusters: 1 });
    try {
      const r = await kiln('bootstrap', 'flux', '--source', 'oci', '--cwd', plain);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('spec.output.oci');
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    const r = await kiln('bootstrap', 'flux', '--source', 'oci', '--repo-url', 'https://git.example.com/x.git', '--cwd', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--repo-url does not apply with --source oci');
  });
});
