/**
 * Scouts on a real fleet: after a change to every cluster's Helm values, the clusters rendered ahead
 * of their turn are exactly ones that bring a render no cluster before them has, each render runs
 * once, and the output is what an uncached render gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { memoFleet, type MemoFleet } from '../helpers/memo-fleet.js';

let f: MemoFleet;

beforeAll(async () => {
  f = await memoFleet('kiln-scout-', 24);
});
afterAll(() => f.cleanup());

async function render(out: string, ...extra: string[]) {
  const r = await kiln('render', '--cwd', f.repo.fleet, '--out', path.join(f.base, out), '--concurrency', '1', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** Each cluster's component renders (`engine:inputHash`), from the metadata its render wrote. */
function rendersOf(out: string, cluster: string): string[] {
  const meta = parse(readFileSync(path.join(f.base, out, cluster, '.kiln/metadata.yaml'), 'utf8')) as { profiles: Record<string, { components: Array<{ engine: string; inputHash: string }> }> };
  return Object.values(meta.profiles).flatMap((p) => p.components.filter((c) => c.engine !== 'manifests').map((c) => `${c.engine}:${c.inputHash}`));
}

describe('scouts on a fleet', () => {
  it('after a values change, take only clusters that bring a new render; each render runs once; output as uncached', async () => {
    await render('before', '--log-level', 'error');
    f.tools.take();
    const values = path.join(f.repo.fleet, 'values/gateway/common.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace(/tag: "?([\w.-]+)"?/, 'tag: "$1-scout"'));

    const r = await render('after', '--log-level', 'debug');
    const calls = f.tools.take();
    const scouts = [...r.stderr.matchAll(/cluster (\S+): rendered ahead of its turn/g)].map((m) => m[1]!);
    const order = (JSON.parse((await kiln('ls', '--cwd', f.repo.fleet, '--json')).stdout) as { clusters: Array<{ name: string }> }).clusters.map((c) => c.name);
    expect(order).toHaveLength(24);
    // the main lane holds 4 clusters at --concurrency 1: a new render past them is a scout's
    expect(scouts.length, r.stderr).toBeGreaterThan(0);
    const known = new Set<string>();
    const bringers = new Set<string>();
    for (const c of order) {
      const renders = rendersOf('after', c);
      if (renders.some((x) => !known.has(x))) bringers.add(c);
      for (const x of renders) known.add(x);
    }
    for (const s of scouts) expect(bringers, `${s} was rendered ahead of its turn but brings no new render`).toContain(s);
    expect(new Set(scouts).size).toBe(scouts.length);

    // each new Helm render once; nothing else was new
    const helm = new Set(order.flatMap((c) => rendersOf('after', c).filter((x) => x.startsWith('helm:'))));
    const helmBefore = new Set(order.flatMap((c) => rendersOf('before', c).filter((x) => x.startsWith('helm:'))));
    expect([...helm].some((h) => helmBefore.has(h))).toBe(false);
    expect(calls).toMatchObject({ helm: helm.size, jsonnet: 0, ytt: 0 });

    process.env.KILN_RENDER_CACHE = 'off';
    try {
      await render('uncached', '--log-level', 'error');
    } finally {
      delete process.env.KILN_RENDER_CACHE;
    }
    for (const c of order) expect(readTree(path.join(f.base, 'after', c)), c).toEqual(readTree(path.join(f.base, 'uncached', c)));
  });
});
