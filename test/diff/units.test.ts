/** The pure parts: ignore patterns, masking, risk flags, markdown size control. */
import { describe, expect, it } from 'vitest';
import { applyIgnores, DEFAULT_IGNORES, parseIgnore } from '../../src/diff/ignore.js';
import { COMMENT_LIMIT, DIFF_MARKER, formatMarkdown } from '../../src/diff/markdown.js';
import { compareCluster } from '../../src/diff/compare.js';
import { createMasker, maskObject } from '../../src/diff/mask.js';
import type { DiffReport, ObjectDiff } from '../../src/diff/model.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import type { K8sObject } from '../../src/model.js';
import { FIXED_KEY } from './helpers.js';

const deploy = (over: Record<string, unknown> = {}): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'web', labels: { app: 'web', 'helm.sh/chart': 'web-1.0.0' } },
  spec: { selector: { matchLabels: { app: 'web' } }, replicas: 1, template: { metadata: { annotations: { 'checksum/config': 'abc', keep: 'yes' } } } },
  ...over,
});
const side = (...objects: K8sObject[]) => ({ outputPath: 'manifests', files: new Map(objects.map((o, i) => [`manifests/p/${i}-${o.metadata.name}.yaml`, serializeObject(o)])) });
const opts = (patterns: string[] = DEFAULT_IGNORES) => ({ ignore: patterns.map(parseIgnore), masker: createMasker(FIXED_KEY) });

describe('ignore patterns', () => {
  it('default patterns drop the chart label and checksum annotations at any depth, and nothing else', () => {
    const o = applyIgnores(deploy(), DEFAULT_IGNORES.map(parseIgnore));
    expect(o.metadata.labels).toEqual({ app: 'web' });
    expect((o.spec as { template: { metadata: { annotations: unknown } } }).template.metadata.annotations).toEqual({ keep: 'yes' });
  });
  it('Kind: prefix, list wildcards, bracketed keys', () => {
    const o = deploy({ spec: { replicas: 3, containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] } });
    expect(applyIgnores(o, [parseIgnore('Deployment:spec.replicas')]).spec).not.toHaveProperty('replicas');
    expect(applyIgnores(o, [parseIgnore('Service:spec.replicas')]).spec).toHaveProperty('replicas', 3);
    expect((applyIgnores(o, [parseIgnore('spec.containers.*.image')]).spec as { containers: unknown }).containers).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(applyIgnores(o, [parseIgnore('metadata.labels[helm.sh/chart]')]).metadata.labels).toEqual({ app: 'web' });
  });
  it('malformed patterns are one-line errors', () => {
    expect(() => parseIgnore('metadata.labels[oops')).toThrow(/--ignore "metadata.labels\[oops": unclosed \[/);
    expect(() => parseIgnore('a..b')).toThrow(/empty segment/);
  });
  it('a change only under ignored fields is no diff; --ignore adds to the defaults', () => {
    const bumped = deploy({ metadata: { name: 'web', namespace: 'web', labels: { app: 'web', 'helm.sh/chart': 'web-1.0.1' } } });
    expect(compareCluster(side(deploy()), side(bumped), opts(), { before: 'a', after: 'b' })).toEqual([]);
    expect(compareCluster(side(deploy()), side(bumped), opts([]), { before: 'a', after: 'b' })).toHaveLength(1);
    const scaled = deploy({ spec: { ...(deploy().spec as object), replicas: 5 } });
    expect(compareCluster(side(deploy()), side(scaled), opts([...DEFAULT_IGNORES, 'Deployment:spec.replicas']), { before: 'a', after: 'b' })).toEqual([]);
  });
});

describe('secret masking', () => {
  const secret = (v: string): K8sObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"k":"${v}"}}` } }, data: { k: Buffer.from(v).toString('base64') }, stringData: { t: v } });
  it('sizes and a per-run keyed hash, never the value', () => {
    const m = createMasker(FIXED_KEY);
    const a = serializeObject(maskObject(secret('s3cr3t-DIFF-CANARY'), m));
    const b = serializeObject(maskObject(secret('s3cr3t-DIFF-CANARY2'), m));
    for (const t of [a, b]) expect(t).not.toMatch(/s3cr3t|czNjcjN0/);
    expect(a).toMatch(/k: "REDACTED # \(18 bytes, h:[0-9a-f]{8}\)"/);
    expect(a.match(/h:\w+/g)).not.toEqual(b.match(/h:\w+/g));
    // another run, another key: the markers cannot be compared across runs (nor guessed offline)
    expect(serializeObject(maskObject(secret('s3cr3t-DIFF-CANARY'), createMasker()))).not.toEqual(a);
  });
  it('objects annotated kiln.dev/sensitive are masked whole', () => {
    const o: K8sObject = { apiVersion: 'example.com/v1', kind: 'Credentials', metadata: { name: 'c', annotations: { 'kiln.dev/sensitive': 'true' } }, spec: { password: 's3cr3t-DIFF-CANARY', port: 5432 } };
    const t = serializeObject(maskObject(o, createMasker(FIXED_KEY)));
    expect(t).not.toContain('s3cr3t');
    expect(t).not.toContain('5432');
    expect(t).toContain('name: c');
  });
});

describe('risk flags', () => {
  const one = (a: K8sObject, b: K8sObject) => compareCluster(side(a), side(b), opts(), { before: 'a', after: 'b' })[0]!;
  it('immutable fields: Deployment selector, Service clusterIP, Job template, PVC storage class and access modes', () => {
    expect(one(deploy(), deploy({ spec: { ...(deploy().spec as object), selector: { matchLabels: { app: 'web2' } } } })).immutableFields).toEqual(['spec.selector']);
    expect(one(deploy(), deploy({ spec: { ...(deploy().spec as object), replicas: 2 } })).risks).toEqual([]);
    const svc = (ip: string): K8sObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: ip } });
    expect(one(svc('10.0.0.1'), svc('10.0.0.2'))).toMatchObject({ risks: ['immutable-field'], immutableFields: ['spec.clusterIP'] });
    const job = (img: string): K8sObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { containers: [{ name: 'c', image: img }] } } } });
    expect(one(job('a'), job('b')).immutableFields).toEqual(['spec.template']);
    const pvc = (sc: string, modes: string[]): K8sObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, spec: { storageClassName: sc, accessModes: modes } });
    expect(one(pvc('a', ['ReadWriteOnce']), pvc('b', ['ReadWriteMany'])).immutableFields).toEqual(['spec.storageClassName', 'spec.accessModes']);
  });
  it('deletions, namespace deletions, CRDs, RBAC', () => {
    const ns: K8sObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } };
    const role: K8sObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'n' }, rules: [] };
    const crd: K8sObject = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'x.y' }, spec: {} };
    const d = compareCluster(side(ns, role), side(crd), opts(), { before: 'a', after: 'b' });
    expect(d.map((o) => `${o.action} ${o.kind} ${o.risks.join(',')}`)).toEqual(['removed Namespace deletion,namespace-deletion', 'added CustomResourceDefinition crd', 'removed Role deletion,rbac']);
  });
});

describe('markdown size control', () => {
  const obj = (i: number): ObjectDiff => ({ group: '', kind: 'ConfigMap', namespace: 'n', name: `cm-${i}`, profile: 'p', action: 'changed', risks: [], immutableFields: [], notes: [], diff: `@@ -1,1 +1,1 @@\n-a: "${'x'.repeat(900)}"\n+a: "${'y'.repeat(900)}"` });
  const report = (groups: number): DiffReport => ({
    schema: 'kiln.dev/diff/v1',
    base: { kind: 'published', ref: 'origin' },
    head: { kind: 'worktree', commit: 'c'.repeat(40), dirty: false },
    ignore: [],
    totals: { clusters: groups, changedClusters: groups, groups, added: 0, changed: groups * 3, removed: 0, risks: {} },
    clusters: [],
    groups: Array.from({ length: groups }, (_, i) => ({ id: i + 1, clusters: [`c-${i}`], added: 0, changed: 3, removed: 0, risks: [], objects: [obj(1), obj(2), obj(3)] })),
    removedProfiles: [],
  });
  it('a 1,000-group diff stays under 65,536 characters with the summary, a note and the marker', () => {
    const md = formatMarkdown(report(1000), { limit: COMMENT_LIMIT, outFile: 'kiln-diff.md' });
    expect(md.truncated).toBe(true);
    expect(md.text.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(md.text.startsWith(DIFF_MARKER)).toBe(true);
    expect(md.text).toContain('| 1 | `c-0`');
    expect(md.text).toMatch(/\d+ groups of 1000 not shown\. The full diff is in `kiln-diff.md`/);
    const full = formatMarkdown(report(1000));
    expect(full.truncated).toBe(false);
    expect(full.text.match(/<details>/g)).toHaveLength(1000);
  });
  it('code fences outgrow backticks inside a diff', () => {
    const o = { ...obj(1), diff: '@@ -1 +1 @@\n-a: "```"\n+a: "````"' };
    const md = formatMarkdown({ ...report(1), groups: [{ ...report(1).groups[0]!, objects: [o] }] }).text;
    expect(md).toContain('`````diff\n');
  });
});
