/** kiln bootstrap flux|argocd --source oci: objects that follow each cluster's artifact, valid against the CRD schemas. */
import { appendFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from '../../src/model.js';
import { schemaProblems } from '../bootstrap/schemas.js';
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
