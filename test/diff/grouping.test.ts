/** Grouping by the changed lines: per-cluster values in context lines do not split one change. */
import { describe, expect, it } from 'vitest';
import { compareCluster, groupClusters, type ClusterDiff } from '../../src/diff/compare.js';
import { DEFAULT_IGNORES, parseIgnore } from '../../src/diff/ignore.js';
import { formatMarkdown } from '../../src/diff/markdown.js';
import { createMasker } from '../../src/diff/mask.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import type { K8sObject } from '../../src/model.js';
import { FIXED_KEY } from './helpers.js';

const opts = { ignore: DEFAULT_IGNORES.map(parseIgnore), masker: createMasker(FIXED_KEY) };
const cm = (cluster: string, version: string, extra: Record<string, string> = {}): K8sObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'app', namespace: 'web' },
  data: { CLUSTER: cluster, HOST: `${cluster}.example.com`, VERSION: version, ZONE: `${cluster}-a`, ...extra },
});
const side = (o: K8sObject) => ({ outputPath: 'manifests', files: new Map([['manifests/p/configmap-app.yaml', serializeObject(o)]]) });
const clusterDiff = (name: string, before: K8sObject, after: K8sObject): ClusterDiff => ({
  summary: { name, environment: 'prod', branch: `rendered/prod/${name}` },
  objects: compareCluster(side(before), side(after), opts, { before: 'a', after: 'b' }),
});
const names = (n: number) => Array.from({ length: n }, (_, i) => `prod-${String(i).padStart(4, '0')}`);

describe('diff groups', () => {
  it('the same change on 1,000 clusters with per-cluster context lines is one group, context from the first cluster', () => {
    // arrival order is render order, not name order: reversed here
    const all = names(1000).reverse().map((c) => clusterDiff(c, cm(c, '1'), cm(c, '2')));
    expect(all[0]!.objects[0]!.diff).toContain(' HOST: prod-0999.example.com');
    const { clusters, groups } = groupClusters(all);
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ id: 1, representative: 'prod-0000', changed: 1, added: 0, removed: 0 });
    expect(groups[0]!.clusters).toEqual(names(1000));
    expect(groups[0]!.objects[0]!.diff).toContain(' HOST: prod-0000.example.com');
    expect(groups[0]!.objects[0]!.diff).toContain('-  VERSION: "1"\n+  VERSION: "2"');
    expect(clusters.every((c) => c.group === 1)).toBe(true);
    const md = formatMarkdown({ schema: 'kiln.dev/diff/v1', base: { kind: 'published' }, head: { kind: 'worktree' }, ignore: [], totals: { clusters: 1000, changedClusters: 1000, groups: 1, added: 0, changed: 1000, removed: 0, risks: {} }, clusters, groups, removedProfiles: [] }).text;
    expect(md.match(/<details>/g)).toHaveLength(1);
    expect(md).toContain('Context lines as on `prod-0000`');
  });

  it('different changed lines, or a per-cluster value in a changed line, stay apart', () => {
    const [a, b, c, d] = names(4);
    const { groups } = groupClusters([
      clusterDiff(a!, cm(a!, '1'), cm(a!, '2')),
      clusterDiff(b!, cm(b!, '1'), cm(b!, '2')),
      clusterDiff(c!, cm(c!, '1'), cm(c!, '3')),
      // the changed line itself carries the cluster's name: not the same change
      clusterDiff(d!, cm(d!, '1'), cm(d!, '2', { NEW: d! })),
    ]);
    expect(groups.map((g) => g.clusters)).toEqual([[a, b], [c], [d]]);
    expect(groups.map((g) => g.representative)).toEqual([a, undefined, undefined]);
  });

  it('the same lines on another object are another change', () => {
    const [a, b] = names(2);
    const other = (o: K8sObject): K8sObject => ({ ...o, metadata: { ...o.metadata, name: 'other' } });
    const { groups } = groupClusters([clusterDiff(a!, cm(a!, '1'), cm(a!, '2')), clusterDiff(b!, other(cm(b!, '1')), other(cm(b!, '2')))]);
    expect(groups).toHaveLength(2);
  });
});
