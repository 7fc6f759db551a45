/**
 * The persistent render cache and the in-run dedupe never change output, and a changed input
 * invalidates exactly the renders that read it. Real tools, wrapped to count their invocations.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { diskRenderCache, renderCachePath } from '../../src/fleet/render-cache.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { ENV_OF, toolCalls, type ToolCalls } from '../helpers/tool-calls.js';

let base: string;
let fleet: string;
let cache: string;
let tools: ToolCalls;
const saved: Record<string, string | undefined> = {};

/** Component renders since the last look. */
function calls(): Record<string, number> {
  const { any: _any, ...n } = tools.take();
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

beforeAll(async () => {
  for (const k of ['KILN_CACHE_DIR', 'KILN_RENDER_CACHE', 'KILN_RENDER_WORKER', ...Object.values(ENV_OF)]) saved[k] = process.env[k];
  base = mkdtempSync(path.join(os.tmpdir(), 'kiln-cache-test-'));
  fleet = path.join(base, 'fleet');
  cache = path.join(base, 'cache');
  mkdirSync(fleet);
  // 8 clusters: dev, staging and prod; small; one region; cluster 7 is not a snowflake (every 20th is)
  writeBenchFleet(fleet, 8);
  tools = await toolCalls(base);
  process.env.KILN_CACHE_DIR = cache;
  tools.wrap();
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
    tools.wrap('v3.99.0');
    try {
      const after = await render();
      expect(calls()).toEqual({ helm: 3, kustomize: 0, jsonnet: 0, ytt: 0 });
      for (const tree of after.values()) expect(tree.get('.kiln/metadata.yaml')).toContain('helm: v3.99.0');
      // back to the real version: its entries are still there
      tools.wrap();
      await render();
      expect(calls()).toEqual({ helm: 0, kustomize: 0, jsonnet: 0, ytt: 0 });
    } finally {
      tools.wrap();
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
