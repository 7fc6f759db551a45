import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { diskParseCache } from '../../src/config/parse-cache.js';
import { KilnError, KilnErrors } from '../../src/errors.js';
import type { FleetConfig } from '../../src/model.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (prefix: string) => {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};
function fleet(files: Record<string, string>): string {
  const dir = tmp('kiln-pc-fleet-');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const FLEET = 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: t\nspec:\n  environments:\n    - name: dev\n';
const CLUSTERS = `apiVersion: kiln.dev/v1alpha1
kind: Cluster
metadata:
  name: a
  labels: {tier: web}
spec:
  environment: dev
  vars:
    mode: 0440
    flag: yes
    when: 22:30
  patches:
    - target: {kind: Deployment}
      patch: {metadata: {labels: {x: "1"}}}
---
# a comment only
---
apiVersion: kiln.dev/v1alpha1
kind: Cluster
metadata:
  name: b
  labels: {tier: web}
spec:
  environment: dev
`;
const PROFILE = `apiVersion: kiln.dev/v1alpha1
kind: Profile
metadata:
  name: web
spec:
  clusterSelector: {matchLabels: {tier: web}}
  components:
    - name: m
      manifests: {paths: [m]}
`;

/** Everything a load gives, positions included (a lazy position is read here). */
function shape(c: FleetConfig): unknown {
  return JSON.parse(
    JSON.stringify({ ...c, doc: undefined, clusters: c.clusters.map((x) => ({ ...x, doc: x.doc.file, at: x.doc.locate(['spec', 'vars', 'flag']) })), profiles: c.profiles.map((p) => ({ ...p, doc: p.doc.file, at: p.doc.locate(['spec', 'components', 0, 'manifests']) })) }),
  );
}

async function errorLines(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KilnErrors) return e.errors.map((x) => x.oneLine());
    if (e instanceof KilnError) return [e.oneLine()];
    throw e;
  }
  throw new Error('expected the load to fail');
}

describe('the config parse cache', () => {
  it('gives what a parse gives, positions included, without parsing a file again', async () => {
    const dir = fleet({ 'kiln.yaml': FLEET, 'clusters/all.yaml': CLUSTERS, 'profiles/web.yaml': PROFILE, 'm/cm.yaml': 'a: 1\n' });
    const cacheDir = tmp('kiln-pc-cache-');
    const plain = await loadConfig({ cwd: dir });
    const first = diskParseCache(cacheDir);
    const cold = await loadConfig({ cwd: dir, parseCache: first });
    expect(first.stats).toEqual({ cached: 0, parsed: 3 });
    const second = diskParseCache(cacheDir);
    const warm = await loadConfig({ cwd: dir, parseCache: second });
    expect(second.stats).toEqual({ cached: 3, parsed: 0 });
    expect(shape(warm.config)).toEqual(shape(plain.config));
    expect(shape(cold.config)).toEqual(shape(plain.config));
    expect(warm.warnings).toEqual(plain.warnings);
    // the free-form maps as Kubernetes reads them, from the cache too
    expect(warm.config.clusters[0]!.vars).toEqual({ mode: 288, flag: true, when: '22:30' });
    expect(warm.config.clusters[0]!.patches[0]!.source).toEqual({ file: 'clusters/all.yaml', line: 13, col: 7 });
    expect(warm.config.clusters[1]!.doc.locate(['spec', 'environment'])).toEqual({ file: 'clusters/all.yaml', line: 24, col: 16 });
  });

  it('the example fleet loads the same from the cache', async () => {
    const cacheDir = tmp('kiln-pc-cache-');
    const plain = await loadConfig({ cwd: fixturesFleet });
    await loadConfig({ cwd: fixturesFleet, parseCache: diskParseCache(cacheDir) });
    const c = diskParseCache(cacheDir);
    const warm = await loadConfig({ cwd: fixturesFleet, parseCache: c });
    expect(c.stats.parsed).toBe(0);
    expect(c.stats.cached).toBeGreaterThan(5);
    expect(shape(warm.config)).toEqual(shape(plain.config));
  });

  it('a changed byte is a miss for that file only; errors found after the load name the same file:line:col', async () => {
    const cacheDir = tmp('kiln-pc-cache-');
    const files = { 'kiln.yaml': FLEET, 'clusters/all.yaml': CLUSTERS, 'profiles/web.yaml': PROFILE, 'm/cm.yaml': 'a: 1\n' };
    const dir = fleet(files);
    await loadConfig({ cwd: dir, parseCache: diskParseCache(cacheDir) });
    writeFileSync(path.join(dir, 'clusters/all.yaml'), CLUSTERS.replace('mode: 0440', 'mode: 0444'));
    const c = diskParseCache(cacheDir);
    const changed = await loadConfig({ cwd: dir, parseCache: c });
    expect(c.stats).toEqual({ cached: 2, parsed: 1 });
    expect(changed.config.clusters[0]!.vars.mode).toBe(292);
    // a cross-document error (checked after the load, positions from the lazily re-parsed file)
    const bad = PROFILE.replace('spec:\n', 'spec:\n  dependsOn: [nope]\n');
    const broken = fleet({ ...files, 'profiles/web.yaml': bad });
    const want = await errorLines(loadConfig({ cwd: broken }));
    expect(want.join('\n')).toMatch(/^profiles\/web\.yaml:\d+:\d+: /);
    const warmDir = tmp('kiln-pc-cache-');
    await errorLines(loadConfig({ cwd: broken, parseCache: diskParseCache(warmDir) }));
    const again = diskParseCache(warmDir);
    expect(await errorLines(loadConfig({ cwd: broken, parseCache: again }))).toEqual(want);
    expect(again.stats.parsed).toBe(0); // each file was valid on its own: remembered, and the error still found
  });

  it('loads racing on one cache dir (CI jobs sharing a restored cache) each get what a parse gives', async () => {
    const dir = fleet({ 'kiln.yaml': FLEET, 'clusters/all.yaml': CLUSTERS, 'profiles/web.yaml': PROFILE, 'm/cm.yaml': 'a: 1\n' });
    const want = shape((await loadConfig({ cwd: dir })).config);
    for (let round = 0; round < 5; round++) {
      const cacheDir = tmp('kiln-pc-cache-');
      const caches = Array.from({ length: 8 }, () => diskParseCache(cacheDir));
      const got = await Promise.all([...caches, ...caches].map((c) => loadConfig({ cwd: dir, parseCache: c })));
      for (const g of got) expect(shape(g.config)).toEqual(want);
      const after = diskParseCache(cacheDir);
      expect(shape((await loadConfig({ cwd: dir, parseCache: after })).config)).toEqual(want);
      expect(after.stats).toEqual({ cached: 3, parsed: 0 });
    }
  });

  it('an invalid file is never remembered; a corrupt entry is a miss, not an error', async () => {
    const cacheDir = tmp('kiln-pc-cache-');
    const dir = fleet({ 'kiln.yaml': FLEET, 'clusters/all.yaml': CLUSTERS.replace('environment: dev\n  vars', 'environment: 3\n  vars'), 'profiles/web.yaml': PROFILE });
    const want = await errorLines(loadConfig({ cwd: dir }));
    expect(await errorLines(loadConfig({ cwd: dir, parseCache: diskParseCache(cacheDir) }))).toEqual(want);
    const c = diskParseCache(cacheDir);
    expect(await errorLines(loadConfig({ cwd: dir, parseCache: c }))).toEqual(want);
    expect(c.stats).toEqual({ cached: 2, parsed: 1 });

    const good = fleet({ 'kiln.yaml': FLEET, 'clusters/all.yaml': CLUSTERS, 'profiles/web.yaml': PROFILE, 'm/cm.yaml': 'a: 1\n' });
    const cache2 = tmp('kiln-pc-cache-');
    const plain = await loadConfig({ cwd: good });
    await loadConfig({ cwd: good, parseCache: diskParseCache(cache2) });
    const area = path.join(cache2, 'config');
    for (const sub of readdirSync(area)) for (const f of readdirSync(path.join(area, sub))) writeFileSync(path.join(area, sub, f), '{"key": "x", "docs": [');
    const c2 = diskParseCache(cache2);
    expect(shape((await loadConfig({ cwd: good, parseCache: c2 })).config)).toEqual(shape(plain.config));
    expect(c2.stats).toEqual({ cached: 0, parsed: 3 });
  });
});
