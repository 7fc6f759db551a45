import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Component } from '../../src/model.js';
import { inputHash } from '../../src/render/input-hash.js';
import type { RenderContext } from '../../src/render/renderer.js';
import { ExecScope } from '../../src/exec/scope.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { cluster, context, copyFleet, helm, removeTempDirs, writeFiles } from './helpers.js';

afterAll(removeTempDirs);

let root: string;
let ctx: RenderContext;
beforeEach(async () => {
  root = copyFleet();
  ctx = await context(root, { cluster: cluster({ apiVersions: ['a/v1', 'b/v1'] }) });
});

/** The hash now, computed from scratch (without a session nothing is memoised). */
async function fresh(c: Component, over: Partial<RenderContext> = {}): Promise<string> {
  return inputHash(c, { ...ctx, ...over });
}

const chart = helm({ chart: 'charts/app', valuesFiles: [{ path: 'values/base.yaml', optional: false }, { path: 'values/opt.yaml', optional: true }], values: { a: 1 } });

describe('inputHash', () => {
  it('is stable: same inputs, other cluster name/vars/environment, other temp dirs, apiVersions order', async () => {
    const h = await fresh(chart);
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await inputHash(chart, ctx)).toBe(h); // memoised
    expect(await fresh(chart)).toBe(h);
    const other = await context(root, { cluster: cluster({ name: 'prod-9', environment: 'prod', vars: { x: 1 }, apiVersions: ['b/v1', 'a/v1'] }), profile: 'other' });
    expect(await fresh(chart, other)).toBe(h);
    // a file the component does not read
    writeFiles(root, { 'manifests/dir/new.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n' });
    expect(await fresh(chart)).toBe(h);
  });

  it('helm: changes with a values file, a chart file, an optional file appearing, the spec, the tool version, kubeVersion, apiVersions', async () => {
    const seen = new Set<string>();
    const expectNew = async (h: Promise<string>) => {
      const v = await h;
      expect(seen.has(v)).toBe(false);
      seen.add(v);
    };
    await expectNew(fresh(chart));
    appendFileSync(path.join(root, 'values/base.yaml'), 'extra: 1\n');
    await expectNew(fresh(chart));
    appendFileSync(path.join(root, 'charts/app/charts/sub/templates/cm.yaml'), '# vendored dependency changed\n');
    await expectNew(fresh(chart));
    writeFiles(root, { 'values/opt.yaml': 'b: 2\n' });
    await expectNew(fresh(chart));
    await expectNew(fresh(helm({ ...chart.spec, values: { a: 2 } })));
    await expectNew(fresh(chart, { tools: { ...ctx.tools, helm: { ...ctx.tools.helm!, version: 'v3.22.1' } } }));
    await expectNew(fresh(chart, { cluster: cluster({ kubeVersion: '1.32.0', apiVersions: ['a/v1', 'b/v1'] }) }));
    await expectNew(fresh(chart, { cluster: cluster({ apiVersions: ['a/v1'] }) }));
  });

  it('helm remote charts hash repo|chart|version without touching the network', async () => {
    const remote = helm({ chart: 'app', repo: 'http://127.0.0.1:1/never', version: '1.0.0' });
    const h = await fresh(remote);
    expect(await fresh(helm({ ...remote.spec, version: '1.0.1' }))).not.toBe(h);
  });

  it('kustomize: follows the overlay to its base outside the directory', async () => {
    const k: Component = { name: 'k', engine: 'kustomize', spec: { path: 'kustomize/overlay' } };
    const h = await fresh(k);
    appendFileSync(path.join(root, 'kustomize/base/cm.yaml'), '# base changed\n');
    expect(await fresh(k)).not.toBe(h);
  });

  it('jsonnet: includes imported libraries, changes with ext vars', async () => {
    const j: Component = { name: 'j', engine: 'jsonnet', spec: { file: 'jsonnet/main.jsonnet', jpath: ['jsonnet/lib'], extVars: { s: 'x' }, tlas: {} } };
    const h = await fresh(j);
    appendFileSync(path.join(root, 'jsonnet/lib/util.libsonnet'), '// changed\n');
    const h2 = await fresh(j);
    expect(h2).not.toBe(h);
    expect(await fresh({ ...j, spec: { ...j.spec, extVars: { s: 'y' } } })).not.toBe(h2);
    expect(await fresh(j, { cluster: cluster({ kubeVersion: '1.20.0' }) })).toBe(h2); // helm-only capability
  });

  it('ytt and manifests: data values files, and a new file matching a glob', async () => {
    const y: Component = { name: 'y', engine: 'ytt', spec: { paths: ['ytt/tpl'], dataValuesFiles: ['ytt/values.yaml'], dataValues: {} } };
    const hy = await fresh(y);
    writeFileSync(path.join(root, 'ytt/values.yaml'), 'name: changed\n');
    expect(await fresh(y)).not.toBe(hy);

    const m: Component = { name: 'm', engine: 'manifests', spec: { paths: ['manifests/glob/g-*.yaml'] } };
    const hm = await fresh(m);
    writeFiles(root, { 'manifests/glob/other-2.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: o}\n' });
    expect(await fresh(m)).toBe(hm); // does not match the glob
    writeFiles(root, { 'manifests/glob/g-3.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: g3}\n' });
    expect(await fresh(m)).not.toBe(hm);
  });

  it('in a run: one hashing per component object and Capabilities, the same hashes as without a run', async () => {
    const session = { exec: new ExecScope(), memo: new RunMemo() };
    const kust: Component = { name: 'k', engine: 'kustomize', spec: { path: 'kustomize/overlay' } } as Component;
    const clusters = [cluster({ name: 'a', apiVersions: ['a/v1', 'b/v1'] }), cluster({ name: 'b', environment: 'prod', apiVersions: ['b/v1', 'a/v1'] }), cluster({ name: 'c', kubeVersion: '1.32.0', apiVersions: ['a/v1', 'b/v1'] })];
    const asked = clusters.map((cl) => ({ ...ctx, cluster: cl, session }));
    for (const c of [chart, kust]) {
      const inRun = asked.map((x) => inputHash(c, x));
      const without = await Promise.all(asked.map((x) => fresh(c, { cluster: x.cluster })));
      expect(await Promise.all(inRun)).toEqual(without);
      // asked again (a cluster's key, then its render): the very promise, nothing hashed again
      asked.forEach((x, i) => expect(inputHash(c, x)).toBe(inRun[i]));
      if (c === chart) {
        expect(inRun[1]).toBe(inRun[0]); // same Capabilities (apiVersions in another order)
        expect(inRun[2]).not.toBe(inRun[0]);
        expect(without[2]).not.toBe(without[0]); // another kubeVersion: another hash
      } else {
        expect(new Set(inRun).size).toBe(1); // no Capabilities: one hashing for every cluster
      }
    }
    // the run's files are fixed (as for its path memo): a file changed mid-run is seen by the next run
    const before = await inputHash(chart, asked[0]!);
    appendFileSync(path.join(root, 'values/base.yaml'), 'late: 1\n');
    expect(await inputHash(chart, asked[0]!)).toBe(before);
    const next = await inputHash(chart, { ...asked[0]!, session: { exec: new ExecScope(), memo: new RunMemo() } });
    expect(next).not.toBe(before);
    expect(next).toBe(await fresh(chart, { cluster: asked[0]!.cluster }));
  });

  it('does not throw for inputs that render will reject', async () => {
    await expect(fresh(helm({ chart: '../outside' }))).resolves.toMatch(/^sha256:/);
    await expect(fresh({ name: 'm', engine: 'manifests', spec: { paths: ['nope/*.yaml'] } })).resolves.toMatch(/^sha256:/);
  });
});
