/** Cache pruning: entries unused for the max age go, used ones stay (a hit refreshes them), at most daily. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diskClusterMemo } from '../../src/fleet/cluster-memo.js';
import { cacheMaxAgeDays, pruneCache } from '../../src/util/cache-prune.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-prune-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const DAY = 86_400_000;
const age = (file: string, days: number, now: number) => utimesSync(file, new Date(now - days * DAY), new Date(now - days * DAY));

describe('cache pruning', () => {
  it('removes entries unused for longer than the max age and old temp files, keeps the rest and other files', async () => {
    const now = Date.now();
    const old = path.join(base, 'renders/helm/old.json');
    const fresh = path.join(base, 'clusters/aa/fresh.json');
    const tmpOld = path.join(base, 'commits/bb/x.json.1.ab.tmp');
    const tmpNew = path.join(base, 'commits/bb/y.json.1.ab.tmp');
    const chart = path.join(base, 'charts/repo/chart-1.0.0.tgz'); // downloaded charts are not pruned
    const oldConfig = path.join(base, 'config/cc/old.json'); // parsed config files
    for (const f of [old, fresh, tmpOld, tmpNew, chart, oldConfig]) {
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, 'x');
    }
    age(old, 31, now);
    age(fresh, 29, now);
    age(tmpOld, 2, now);
    age(chart, 400, now);
    age(oldConfig, 31, now);
    expect(await pruneCache(base, 30, now)).toEqual({ removed: 3 });
    expect([old, fresh, tmpOld, tmpNew, chart, oldConfig].map((f) => existsSync(f))).toEqual([false, true, false, true, true, false]);
    // at most once a day
    age(fresh, 40, now);
    expect(await pruneCache(base, 30, now + 1000)).toBeUndefined();
    expect(await pruneCache(base, 30, now + DAY + 1000)).toEqual({ removed: 2 }); // fresh, now 40 days unused; tmpNew, now over a day old
    expect([fresh, tmpNew, chart].map((f) => existsSync(f))).toEqual([false, false, true]);
  });

  it('a hit refreshes an entry, so what is in use is never pruned', async () => {
    const dir = path.join(base, 'hit');
    const key = 'c'.repeat(64);
    const now = Date.now();
    // written 60 days ago (its pack's mtime and its stamp say so)
    const past = diskClusterMemo(dir, 30, () => now - 60 * DAY);
    await past.put(key, { content: 'd'.repeat(40), warnings: [] });
    past.flush();
    const packs = () => readdirSync(path.join(dir, 'clusters')).filter((f) => f.endsWith('.pack'));
    const [old] = packs();
    age(path.join(dir, 'clusters', old!), 60, now);
    // used today: the run that used it writes it again, stamped now
    const today = diskClusterMemo(dir, 30);
    expect(await today.get(key)).toBeDefined();
    today.flush();
    expect(packs()).toHaveLength(2);
    expect(await pruneCache(dir, 30, now)).toEqual({ removed: 1 }); // the old pack
    expect(packs()).not.toContain(old);
    expect(await diskClusterMemo(dir, 30).get(key)).toBeDefined();
  });

  it('KILN_CACHE_MAX_AGE_DAYS must be a positive number of days', () => {
    expect(cacheMaxAgeDays(undefined)).toBe(30);
    expect(cacheMaxAgeDays('7')).toBe(7);
    expect(() => cacheMaxAgeDays('0')).toThrow(/KILN_CACHE_MAX_AGE_DAYS="0" is not a positive number of days/);
    expect(() => cacheMaxAgeDays('2w')).toThrow(/not a positive number/);
  });
});
