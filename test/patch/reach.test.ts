/**
 * Which objects go through kustomize (patch/reach.ts): never fewer than kustomize changes. Each case
 * runs real kustomize over every object, and every object whose value it changed must be one kiln
 * sends; kiln's result (only those sent) must equal kustomize's over all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/manifests/keys.js';
import { parseManifests } from '../../src/manifests/parse.js';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { applyPatches } from '../../src/patch/apply.js';
import { patchReach } from '../../src/patch/reach.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { ExecScope } from '../../src/exec/scope.js';
import { kustomizeTool, tmp } from '../helpers/tools.js';
import { kustomizeDirect } from './kustomize-direct.js';

const obj = (apiVersion: string, kind: string, name: string, namespace: string | undefined, extra: Record<string, unknown> = {}, labels?: Record<string, string>, annotations?: Record<string, string>): K8sObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
  ...extra,
});

const objects: K8sObject[] = [
  obj('apps/v1', 'Deployment', 'web', 'web', { spec: { replicas: 1, template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } } } }, { app: 'web', tier: 'front' }),
  obj('apps/v1', 'Deployment', 'worker', 'web', { spec: { replicas: 1, template: { spec: { containers: [{ name: 'w', image: 'w:1' }] } } } }, { app: 'worker' }),
  obj('v1', 'Service', 'web', 'web', { spec: { ports: [{ port: 80 }] } }, { app: 'web' }),
  obj('v1', 'ConfigMap', 'web-config-abc', 'web', { data: { k: 'v' } }, undefined, { team: 'a' }),
  obj('v1', 'ConfigMap', 'web', 'default', { data: { k: 'in default' } }),
  obj('v1', 'ConfigMap', 'web', 'other', { data: { k: 'in other' } }),
  obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader', undefined, { rules: [] }, { app: 'web' }),
  obj('example.com/v1', 'Widget', 'w.1', 'web', { spec: { size: 1 } }),
  obj('example.com/v1', 'Widget', 'wx1', 'web', { spec: { size: 1 } }),
  // a label value that is not a string (a chart's unquoted `version: 1`): kustomize reads it as "1"
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'numbered', namespace: 'web', labels: { version: 1 } as unknown as Record<string, string> }, data: { k: 'v' } },
  { apiVersion: 'batch/v1', kind: 'Job', metadata: { generateName: 'migrate-', namespace: 'web', annotations: { 'kiln.dev/name': 'migrate' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'm:1' }] } } } },
];

const addLabel = (v: string) => [{ op: 'add', path: '/metadata/labels', value: { patched: v } }];
const cases: Array<[string, PatchSpec[]]> = [
  ['kind and name', [{ target: { kind: 'Deployment', name: 'web' }, patch: [{ op: 'replace', path: '/spec/replicas', value: 3 }] }]],
  ['a name regex', [{ target: { kind: 'ConfigMap', name: 'web-config-.*' }, patch: addLabel('regex') }]],
  ['a dot in a name is any character', [{ target: { kind: 'Widget', name: 'w.1' }, patch: addLabel('dot') }]],
  ['a pattern kiln does not judge (alternation)', [{ target: { name: '(web|reader)' }, patch: [{ op: 'add', path: '/metadata/annotations', value: { alt: 'x' } }] }]],
  ['a namespace', [{ target: { kind: 'ConfigMap', namespace: 'default' }, patch: addLabel('default') }]],
  ['group and version', [{ target: { group: 'apps', version: 'v1' }, patch: addLabel('apps') }]],
  ['a label selector', [{ target: { labelSelector: 'app=web' }, patch: [{ op: 'add', path: '/metadata/annotations', value: { bylabel: 'x' } }] }]],
  ['a set-based label selector', [{ target: { labelSelector: 'app in (web,worker),!tier' }, patch: [{ op: 'add', path: '/metadata/annotations', value: { set: 'x' } }] }]],
  ['an annotation selector', [{ target: { annotationSelector: 'team=a' }, patch: addLabel('team') }]],
  ['a label selector on a number-valued label', [{ target: { labelSelector: 'version=1' }, patch: [{ op: 'add', path: '/metadata/annotations', value: { numbered: 'x' } }] }]],
  ['strategic merge without a target, two documents', [{ patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: web}\nspec: {replicas: 2}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: web}\nspec: {type: NodePort}\n' }]],
  ['a strategic merge with a target', [{ target: { kind: 'Deployment' }, patch: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'any' }, spec: { template: { spec: { containers: [{ name: 'side', image: 's:1' }] } } } } }]],
  ['a generateName object', [{ target: { kind: 'Job' }, patch: addLabel('job') }]],
  ['a patch renaming what a later patch selects', [
    { target: { kind: 'ConfigMap', name: 'web', namespace: 'other' }, patch: [{ op: 'replace', path: '/metadata/name', value: 'renamed' }] },
    { target: { name: 'renamed' }, patch: addLabel('after-rename') },
  ]],
];


const byKey = (objs: K8sObject[]) => new Map(objs.map((o) => [keyOf(o), o]));
const sorted = (objs: K8sObject[]) => [...byKey(objs).entries()].sort(([a], [b]) => (a < b ? -1 : 1));

describe('patch reach', () => {
  it.each(cases)('%s: every object kustomize changes is sent, and the result is kustomize\'s over all', async (_name, patches) => {
    const reach = patchReach(objects, patches)!;
    expect(reach).toBeDefined();
    const all = kustomizeDirect(objects, patches);
    const before = byKey(objects);
    const changed = new Set(all.filter((o) => !isDeepStrictEqual(o, before.get(keyOf(o)))).map(keyOf));
    expect(changed.size).toBeGreaterThan(0); // each case changes something
    for (const [i, o] of objects.entries()) if (changed.has(keyOf(o))) expect(reach[i], keyOf(o)).toBe(true);
    const session = { exec: new ExecScope(), memo: new RunMemo() };
    const out = await applyPatches(objects, patches, { kustomize: kustomizeTool(), tmpDir: tmp(), timeoutMs: 60_000, what: 'p', session, warn: () => undefined });
    // the same values (key order aside: kiln restores the rendered order, kustomize sorts)
    expect(sorted(out)).toEqual(sorted(all));
    // what was not sent is the very object given
    for (const [i, o] of objects.entries()) if (!reach[i]) expect(out).toContain(o);
  });

  it('sends fewer objects where it can tell, and all of them where it cannot', () => {
    const count = (patches: PatchSpec[]) => patchReach(objects, patches)?.filter(Boolean).length;
    expect(count([{ target: { kind: 'Deployment', name: 'web' }, patch: [] }])).toBe(2); // + the generateName Job
    expect(count([{ target: { kind: 'Dep.*' }, patch: [] }])).toBe(objects.length); // not a plain pattern
    expect(count([{ target: { labelSelector: 'app > 1' }, patch: [] }])).toBe(objects.length); // syntax kiln does not parse
    expect(count([{ target: { kind: 'ConfigMap', namespace: 'default' }, patch: [] }])).toBe(2);
    expect(patchReach(objects, [{ patch: [{ op: 'add', path: '/x', value: 1 }] }])).toBeUndefined(); // JSON 6902 without a target
    expect(patchReach(objects, [{ patch: 'kind: [' }])).toBeUndefined(); // unreadable: kustomize's error to give
    expect(patchReach(objects, [{ patch: { metadata: { name: 'web' } } }])).toBeUndefined(); // no kind
  });

  it('a build of two objects out of ten: the cached build holds just them', async () => {
    const cacheDir = tmp();
    const patches: PatchSpec[] = [{ target: { kind: 'Service', name: 'web' }, patch: addLabel('cache') }];
    await applyPatches(objects, patches, { kustomize: kustomizeTool(), tmpDir: tmp(), timeoutMs: 60_000, what: 'p', cacheDir });
    const dir = path.join(cacheDir, 'patches');
    const [sub] = readdirSync(dir);
    const [file] = readdirSync(path.join(dir, sub!));
    const built = parseManifests(readFileSync(path.join(dir, sub!, file!), 'utf8'), { source: 'cache' });
    expect(built.map((o) => o.kind).sort()).toEqual(['Job', 'Service']); // the Job: under its temporary name
  });

  it('an object no patch selects comes out as rendered, where kustomize passing it through would drop an empty annotations map', async () => {
    const bare = obj('v1', 'ConfigMap', 'bare', 'web', { data: { a: 'b' } }, {}, {});
    const patches: PatchSpec[] = [{ target: { kind: 'Service' }, patch: addLabel('svc') }];
    const out = await applyPatches([objects[2]!, bare], patches, { kustomize: kustomizeTool(), tmpDir: tmp(), timeoutMs: 60_000, what: 'p' });
    expect(out).toContain(bare);
    expect(kustomizeDirect([objects[2]!, bare], patches).find((o) => o.kind === 'ConfigMap')!.metadata).toEqual({ name: 'bare', namespace: 'web', labels: {} });
  });
});
