import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComponent } from '../../src/render/index.js';
import { collectObjects } from '../../src/render/jsonnet.js';
import type { ToolSet } from '../../src/render/renderer.js';
import type { K8sObject } from '../../src/model.js';
import { asSet, context, copyFleet, direct, names, parse, realTools, removeTempDirs } from './helpers.js';

afterAll(removeTempDirs);

let root: string;
let tools: ToolSet;
beforeAll(async () => {
  root = copyFleet();
  tools = await realTools();
});

describe('kustomize renderer', () => {
  it('equals kustomize build run directly on the overlay', async () => {
    const out = await renderComponent({ name: 'k', engine: 'kustomize', spec: { path: 'kustomize/overlay' } }, await context(root));
    expect(asSet(out.objects)).toEqual(asSet(parse(direct(tools.kustomize!.path, ['build', 'kustomize/overlay'], root))));
    expect(out.objects[0]!.metadata).toEqual({ name: 'dev-settings', namespace: 'base-ns', labels: { env: 'dev' } });
    expect(out.command).toEqual(['kustomize', 'build', 'kustomize/overlay']);
  });
});

describe('jsonnet renderer', () => {
  const spec = {
    file: 'jsonnet/main.jsonnet',
    jpath: ['jsonnet/lib'],
    extVars: { str: '42', num: 7, flag: true, obj: { a: [1] } },
    tlas: { names: ['x', 'y'], replicas: 3 },
  };

  it('equals jsonnet run directly, objects in kubecfg key order', async () => {
    const out = await renderComponent({ name: 'j', engine: 'jsonnet', spec }, await context(root));
    const args = ['jsonnet/main.jsonnet', '-J', 'jsonnet/lib', '--ext-str', 'str=42', '--ext-code', 'num=7', '--ext-code', 'flag=true', '--ext-code', 'obj={"a":[1]}', '--tla-code', 'names=["x","y"]', '--tla-code', 'replicas=3'];
    const raw = JSON.parse(direct(tools.jsonnet!.path, args, root));
    const expected: K8sObject[] = [];
    collectObjects(raw, expected);
    expect(out.objects).toEqual(expected);
    // keys sorted: apps, nested (list, zz), typed
    expect(names(out.objects)).toEqual(['ConfigMap/app-x', 'ConfigMap/app-y', 'ConfigMap/in-list', 'ConfigMap/zz', 'ConfigMap/typed']);
    expect(out.command).toEqual(['jsonnet', 'jsonnet/main.jsonnet', '-J', 'jsonnet/lib', '--ext-code', 'flag=true', '--ext-code', 'num=7', '--ext-code', 'obj={"a":[1]}', '--ext-str', 'str=42', '--tla-code', 'names=["x","y"]', '--tla-code', 'replicas=3']);
  });

  it('passes strings as -str and everything else as typed -code values', async () => {
    const out = await renderComponent({ name: 'j', engine: 'jsonnet', spec }, await context(root));
    expect(out.objects.find((o) => o.metadata.name === 'typed')!.data).toEqual({
      str: '42',
      strType: 'string',
      numType: 'number',
      boolType: 'boolean',
      objType: 'object',
      replicasType: 'number',
      double: '6',
    });
  });

  it('accepts a single object, arrays, v1 Lists and nested maps; rejects scalars', () => {
    const cm = (n: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n } });
    const out: K8sObject[] = [];
    collectObjects({ b: [cm('b1'), { x: cm('b2') }], a: { apiVersion: 'v1', kind: 'List', items: [cm('a1')] }, n: null }, out);
    expect(names(out)).toEqual(['ConfigMap/a1', 'ConfigMap/b1', 'ConfigMap/b2']);
    const one: K8sObject[] = [];
    collectObjects(cm('only'), one);
    expect(names(one)).toEqual(['ConfigMap/only']);
    expect(() => collectObjects({ a: { b: 'text' } }, [])).toThrow(/jsonnet output at \$\.a\.b is a string/);
  });
});

describe('ytt renderer', () => {
  it('equals ytt run directly: data values files in order, inline data values last', async () => {
    const spec = { paths: ['ytt/tpl'], dataValuesFiles: ['ytt/values.yaml'], dataValues: { replicas: 4, color: 'on' } };
    const ctx = await context(root);
    const out = await renderComponent({ name: 'y', engine: 'ytt', spec }, ctx);
    const inline = path.join(ctx.tmpDir, 'inline.yaml');
    writeFileSync(inline, JSON.stringify(spec.dataValues));
    const expected = parse(direct(tools.ytt!.path, ['-f', 'ytt/tpl', '--data-values-file', 'ytt/values.yaml', '--data-values-file', inline], root));
    expect(out.objects).toEqual(expected);
    expect(out.objects[0]!.data).toEqual({ replicas: '4', color: 'on' });
    expect(out.objects[0]!.metadata.name).toBe('from-file');
    expect(out.command).toEqual(['ytt', '-f', 'ytt/tpl', '--data-values-file', 'ytt/values.yaml', '--data-values-file', '<inline-data-values>']);
  });
});

describe('manifests renderer', () => {
  it('reads directories recursively (yaml, yml, json; sorted) and globs, each file once', async () => {
    const out = await renderComponent(
      { name: 'm', engine: 'manifests', spec: { paths: ['manifests/dir', 'manifests/glob/g-*.yaml', 'manifests/dir/a.yaml'] } },
      await context(root),
    );
    expect(names(out.objects)).toEqual(['Namespace/a', 'Namespace/a2', 'Namespace/c', 'Namespace/b', 'ConfigMap/g1', 'ConfigMap/g2']);
    expect(out.command).toEqual(['read', 'manifests/dir/a.yaml', 'manifests/dir/c.json', 'manifests/dir/sub/b.yml', 'manifests/glob/g-1.yaml', 'manifests/glob/g-2.yaml']);
  });

  it('refuses paths and globs that leave the repo, and globs that match nothing', async () => {
    const ctx = await context(root);
    const m = (p: string) => renderComponent({ name: 'm', engine: 'manifests', spec: { paths: [p] } }, ctx);
    await expect(m('../*.yaml')).rejects.toThrow(/must stay inside the fleet repo/);
    await expect(m('../outside')).rejects.toThrow(/leads outside the fleet repo/);
    await expect(m('manifests/none-*.yaml')).rejects.toThrow(/matched no YAML or JSON files/);
    await expect(m('manifests/absent')).rejects.toThrow(/manifests path "manifests\/absent" not found/);
  });
});
