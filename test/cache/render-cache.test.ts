/**
 * The persistent render cache and the in-run dedupe never change output, and a changed input
 * invalidates exactly the renders that read it. Real tools, wrapped to count their invocations.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { diskRenderCache, renderCachePath } from '../../src/fleet/render-cache.js';
import { findTools } from '../../src/render/tools.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';

const TOOLS = ['helm', 'kustomize', 'jsonnet', 'ytt'] as const;
const ENV_OF = { helm: 'KILN_HELM', kustomize: 'KILN_KUSTOMIZE', jsonnet: 'KILN_JSONNET', ytt: 'KILN_YTT' } as const;

let base: string;
let fleet: string;
let cache: string;
let log: string;
const saved: Record<string, string | undefined> = {};

/** Wrappers that log each call, then run the real tool; `fakeHelmVersion` makes helm report another version. */
function wrapTools(real: Record<string, string>, fakeHelmVersion?: string): void {
  const bin = mkdtempSync(path.join(base, 'bin-'));
  for (const t of TOOLS) {
    const file = path.join(bin, t);
    const fake = t === 'helm' && fakeHelmVersion ? `if [ "$1" = version ]; then echo ${fakeHelmVersion}; exit 0; fi\n` : '';
    writeFileSync(file, `#!/bin/sh\n${fake}echo "${t} $*" >> "${log}"\nexec "${real[t]}" "$@"\n`);
    chmodSync(file, 0o755);
    process.env[ENV_OF[t]] = file;
  }
}

/** Tool calls since the last look (component renders only: patch builds run in a temp dir). */
function calls(): Record<string, number> {
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {}
  rmSync(log, { force: true });
  const n: Record<string, number> = { helm: 0, kustomize: 0, jsonnet: 0, ytt: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('helm template')) n.helm!++;
    else if (line.startsWith('kustomize build') && line.includes('overlays')) n.kustomize!++;
    else if (line.startsWith('jsonnet ') && !line.includes('--version')) n.jsonnet!++;
    else if (line.startsWith('ytt -f')) n.ytt!++;
  }
  return n;
}

function entries(): Record<string, number> {
  const n: Record<string, number> = {};
  for (const e of ['helm', 'kustomize', 'jsonnet', 'ytt', 'manifests']) {
    try {
      n[e] = readdirSync(path.join(cache, 'renders', e)).filter((f) => f.endsWith('.json')).length;
    } catch {
      n[e] = 0;
    }
  }
  return n;
}

async function render(): Promise<Map<string, Map<string, string>>> {
  const out = mkdtempSync(path.join(base, 'out-'));
  const r = await kiln('render', '--cwd', fleet, '--out', out, '--log-level', 'error');
  expect(r.code, r.stderr).toBe(0);
  const trees = new Map<string, Map<string, string>>();
  for (const c of readdirSync(out).sort()) trees.set(c, readTree(path.join(out, c)));
  return trees;
}

async function uncached(): Promise<Map<string, Map<string, string>>> {
  process.env.KILN_RENDER_CACHE = 'off';
  try {
    return await render();
  } finally {
    delete process.env.KILN_RENDER_CACHE;
  }
}

let real: Record<string, string>;
beforeAll(async () => {
  for (const k of ['KILN_CACHE_DIR', 'KILN_RENDER_CACHE', ...Object.values(ENV_OF)]) saved[k] = process.env[k];
  base = mkdtempSync(path.join(os.tmpdir(), 'kiln-cache-test-'));
  fleet = path.join(base, 'fleet');
  cache = path.join(base, 'cache');
  log = path.join(base, 'calls.log');
  mkdirSync(fleet);
  // 8 clusters: dev, staging and prod; small; one region; cluster 7 is not a snowflake (every 20th is)
  writeBenchFleet(fleet, 8);
  const found = await findTools([...TOOLS], {});
  real = Object.fromEntries(TOOLS.map((t) => [t, found[t]!.path]));
  process.env.KILN_CACHE_DIR = cache;
  wrapTools(real);
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(base, { recursive: true, force: true });
});

describe('render cache', () => {
  it('cached, uncached and deduped renders are byte-identical; a warm cache runs no tool', async () => {
    const reference = await uncached();
    expect(entries()).toEqual({ helm: 0, kustomize: 0, jsonnet: 0, ytt: 0, manifests: 0 });
    // in-run dedupe: 8 clusters, 3 environments → 3 helm/kustomize/ytt renders, jsonnet per cluster
    expect(calls()).toEqual({ helm: 3, kustomize: 3, jsonnet: 8, ytt: 3 });

    const cold = await render();
    expect(cold).toEqual(reference);
    expect(calls()).toEqual({ helm: 3, kustomize: 3, jsonnet: 8, ytt: 3 });
    expect(entries()).toEqual({ helm: 3, kustomize: 3, jsonnet: 8, ytt: 3, manifests: 1 });

    const warm = await render();
    expect(warm).toEqual(reference);
    expect(calls()).toEqual({ helm: 0, kustomize: 0, jsonnet: 0, ytt: 0 });
    expect(reference.size).toBe(8);
  });

  it('a changed values file re-renders only the clusters whose helm inputs include it', async () => {
    writeFileSync(path.join(fleet, 'values/gateway/prod.yaml'), readFileSync(path.join(fleet, 'values/gateway/prod.yaml'), 'utf8').replace('maxReplicas: 30', 'maxReplicas: 40'));
    const after = await render();
    expect(calls()).toEqual({ helm: 1, kustomize: 0, jsonnet: 0, ytt: 0 }); // prod only (dev/staging read dev.yaml / none)
    expect(entries()).toMatchObject({ helm: 4, kustomize: 3, jsonnet: 8, ytt: 3 });
    expect(after).toEqual(await uncached());
    calls();
    const prod = [...after.keys()].find((c) => c.startsWith('prod-'))!;
    expect(after.get(prod)!.get('manifests/gateway/gateway--horizontalpodautoscaler--gateway.yaml')).toContain('maxReplicas: 40');
  });

  it('a changed chart version invalidates every helm render and nothing else', async () => {
    const chart = path.join(fleet, 'charts/gateway/Chart.yaml');
    writeFileSync(chart, readFileSync(chart, 'utf8').replace('version: 1.4.2', 'version: 1.4.3'));
    const after = await render();
    expect(calls()).toEqual({ helm: 3, kustomize: 0, jsonnet: 0, ytt: 0 });
    expect(after).toEqual(await uncached());
    calls();
    for (const tree of after.values()) expect(tree.get('manifests/gateway/gateway--deployment--gateway.yaml')).toContain('helm.sh/chart: gateway-1.4.3');
  });

  it('another tool version invalidates that tool\'s renders and nothing else', async () => {
    wrapTools(real, 'v3.99.0');
    try {
      const after = await render();
      expect(calls()).toEqual({ helm: 3, kustomize: 0, jsonnet: 0, ytt: 0 });
      for (const tree of after.values()) expect(tree.get('.kiln/metadata.yaml')).toContain('helm: v3.99.0');
      // back to the real version: its entries are still there
      wrapTools(real);
      await render();
      expect(calls()).toEqual({ helm: 0, kustomize: 0, jsonnet: 0, ytt: 0 });
    } finally {
      wrapTools(real);
    }
  });

  it('entries are tied to the kiln version, and only exact JSON is stored', async () => {
    const dir = mkdtempSync(path.join(base, 'unit-'));
    const hash = `sha256:${'a'.repeat(64)}`;
    const out = { command: ['jsonnet', 'x.jsonnet'], objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: '1' } }] };
    await diskRenderCache(dir, '1.0.0').put('jsonnet', hash, out);
    expect(await diskRenderCache(dir, '1.0.0').get('jsonnet', hash)).toEqual(out);
    expect(await diskRenderCache(dir, '1.0.1').get('jsonnet', hash)).toBeUndefined();
    expect(await diskRenderCache(dir, '1.0.0').get('ytt', hash)).toBeUndefined();
    // a YAML 1.1 timestamp parses to a Date: not JSON-exact, so never cached (and never mistaken for a string)
    const dated = { command: ['ytt'], objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' }, data: { when: new Date(0) } }] };
    await diskRenderCache(dir, '1.0.0').put('ytt', hash, dated as never);
    expect(await diskRenderCache(dir, '1.0.0').get('ytt', hash)).toBeUndefined();
    const asString = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd' }, data: { when: new Date(0).toISOString() } };
    expect(serializeObject(dated.objects[0] as never)).not.toBe(serializeObject(asString as never));
    // a corrupt entry is a miss
    writeFileSync(renderCachePath(dir, 'jsonnet', hash)!, '{ not json');
    expect(await diskRenderCache(dir, '1.0.0').get('jsonnet', hash)).toBeUndefined();
    expect(renderCachePath(dir, 'helm', 'sha256:../../etc')).toBeNull();
  });
});
