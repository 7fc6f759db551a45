import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../src/errors.js';
import type { Component } from '../../src/model.js';
import { renderComponent } from '../../src/render/index.js';
import type { RenderContext } from '../../src/render/renderer.js';
import { clearToolCache, findTools } from '../../src/render/tools.js';
import { context, copyFleet, helm, HELM_BINARIES, removeTempDirs, tempDir, toolsWithHelm, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

let root: string;
beforeAll(() => {
  root = copyFleet();
  writeFiles(root, {
    'charts/broken/Chart.yaml': 'apiVersion: v2\nname: broken\nversion: 0.1.0\n',
    'charts/broken/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name | nosuchfunction }}\n',
    'charts/nodeps/Chart.yaml': 'apiVersion: v2\nname: nodeps\nversion: 0.1.0\ndependencies:\n  - name: absent\n    version: 1.0.0\n    repository: https://charts.example.invalid\n',
    'kustomize/bad/kustomization.yaml': 'resources: [missing.yaml]\n',
    'jsonnet/bad.jsonnet': '{ a: 1,, }\n',
    'ytt/bad/t.yaml': '#@ load("@ytt:data", "data")\n---\nname: #@ data.values.nosuchvalue\n',
  });
});

const WHO = 'profile "ingress", component "main", cluster "dev-1": ';

async function failure(c: Component, over: Partial<RenderContext> = {}): Promise<KilnError> {
  const err = await renderComponent(c, await context(root, over)).then(
    () => new Error('expected the render to fail'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KilnError);
  const k = err as KilnError;
  expect(k.message.startsWith(WHO)).toBe(true);
  expect(k.oneLine()).not.toContain('\n');
  return k;
}

describe('render failures name profile, component, cluster and carry the tool message', () => {
  it.each(HELM_BINARIES)('broken chart template (%s)', async (bin) => {
    const e = await failure(helm({ chart: 'charts/broken' }), { tools: await toolsWithHelm(bin) });
    expect(e.message).toMatch(/helm template failed: Error: .*function "nosuchfunction" not defined/);
    expect(e.message).not.toContain(root); // repo paths are shown relative
  });

  it.each(HELM_BINARIES)("chart with a dependency missing from charts/ (%s's own error)", async (bin) => {
    const e = await failure(helm({ chart: 'charts/nodeps' }), { tools: await toolsWithHelm(bin) });
    expect(e.message).toMatch(/helm template failed: .*missing in charts\/ directory: absent/);
  });

  it('nonexistent local chart and values file', async () => {
    expect((await failure(helm({ chart: 'charts/nope' }))).message).toBe(`${WHO}helm: chart "charts/nope" not found in the fleet repo`);
    const e = await failure(helm({ chart: 'charts/app', valuesFiles: [{ path: 'values/nope.yaml', optional: false }] }));
    expect(e.message).toBe(`${WHO}helm: values file "values/nope.yaml" not found in the fleet repo`);
    expect(e.hint).toMatch(/optional: true/);
    const escape = await failure(helm({ chart: '../../etc' }));
    expect(escape.message).toMatch(/leads outside the fleet repo/);
  });

  it('kustomize error (missing resource)', async () => {
    const e = await failure({ name: 'main', engine: 'kustomize', spec: { path: 'kustomize/bad' } });
    expect(e.message).toMatch(/kustomize build failed: Error: .*missing\.yaml/);
  });

  it('jsonnet syntax error', async () => {
    const e = await failure({ name: 'main', engine: 'jsonnet', spec: { file: 'jsonnet/bad.jsonnet', jpath: [], extVars: {}, tlas: {} } });
    expect(e.message).toMatch(/jsonnet failed: jsonnet\/bad\.jsonnet:1:8-9 Unexpected: ","/);
  });

  it('ytt error', async () => {
    const e = await failure({ name: 'main', engine: 'ytt', spec: { paths: ['ytt/bad'], dataValuesFiles: [], dataValues: {} } });
    expect(e.message).toMatch(/ytt failed: .*nosuchvalue/);
  });

  it('output that is not Kubernetes objects', async () => {
    writeFiles(root, { 'manifests/bad/x.yaml': 'kind: ConfigMap\nmetadata: {name: x}\n' });
    const e = await failure({ name: 'main', engine: 'manifests', spec: { paths: ['manifests/bad'] } });
    expect(e.message).toBe(`${WHO}manifests: manifests/bad/x.yaml: a ConfigMap named x has no apiVersion`);
  });
});

describe('tool problems', () => {
  const saved = process.env.KILN_HELM;
  afterEach(() => {
    if (saved === undefined) delete process.env.KILN_HELM;
    else process.env.KILN_HELM = saved;
    clearToolCache();
  });

  it('a missing tool (KILN_HELM pointing nowhere) names the tool, the component and how to get it', async () => {
    process.env.KILN_HELM = '/nowhere/helm';
    const e = await failure(helm({ chart: 'charts/app' }), { tools: {} });
    expect(e.message).toBe(`${WHO}helm: helm is needed by profile "ingress" component "main" but was not found: KILN_HELM=/nowhere/helm is not an executable file`);
    expect(e.hint).toMatch(/run `kiln tools install`.*~\/\.cache\/kiln-tools\/bin.*KILN_HELM=\/path\/to\/helm/);
  });

  it('a tool that hangs is killed after timeoutMs', async () => {
    const fake = path.join(tempDir(), 'helm');
    writeFiles(path.dirname(fake), { helm: '#!/bin/sh\nif [ "$1" = version ]; then echo v3.22.0; exit 0; fi\nexec sleep 30\n' });
    chmodSync(fake, 0o755);
    const tools = await findTools(['helm'], {}, { ...process.env, KILN_HELM: fake });
    expect(tools.helm).toEqual({ name: 'helm', path: fake, version: 'v3.22.0', explicit: true });
    const started = Date.now();
    const e = await failure(helm({ chart: 'charts/app' }), { tools, timeoutMs: 700 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.message).toBe(`${WHO}helm template timed out after 0.7s`);
    expect(e.hint).toMatch(/KILN_TOOL_TIMEOUT_MS/);
  });
});
