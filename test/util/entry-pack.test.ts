/** Entry packs: a run's entries as one file, read once, merged beyond a few packs, stale entries dropped then. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entryPack } from '../../src/util/entry-pack.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-pack-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const DAY = 86_400_000;
const packsIn = (dir: string) => readdirSync(path.join(dir, 'area')).filter((f) => f.endsWith('.pack')).sort();
const lines = (dir: string, pack: string) => readFileSync(path.join(dir, 'area', pack), 'utf8').trim().split('\n');

describe('entry packs', () => {
  it('a run writes one pack of what it learnt, only when it learnt something; flush twice writes once', () => {
    const dir = mkdtempSync(path.join(base, 'one-'));
    const run = entryPack(dir, 'area', { maxAgeDays: 30 });
    expect(run.get('k0')).toBeUndefined();
    run.flush();
    expect(() => packsIn(dir)).toThrow(); // nothing learnt: no area dir at all
    for (let i = 0; i < 1000; i++) run.put(`k${i}`, { n: i });
    run.flush();
    run.flush();
    expect(packsIn(dir)).toHaveLength(1);
    const next = entryPack(dir, 'area', { maxAgeDays: 30 });
    expect(next.get('k999')).toEqual({ n: 999 });
    next.flush(); // only hits on fresh entries: nothing to write
    expect(packsIn(dir)).toHaveLength(1);
  });

  it('a later pack wins; two runs flushing side by side keep both packs', () => {
    const dir = mkdtempSync(path.join(base, 'two-'));
    let t = 1_000_000;
    const a = entryPack(dir, 'area', { maxAgeDays: 30, now: () => t });
    const b = entryPack(dir, 'area', { maxAgeDays: 30, now: () => t });
    a.put('shared', 'from a');
    a.put('only-a', 1);
    b.put('shared', 'from b');
    b.put('only-b', 2);
    a.flush();
    t += 1;
    b.flush();
    expect(packsIn(dir)).toHaveLength(2);
    const c = entryPack(dir, 'area', { maxAgeDays: 30 });
    expect([c.get('shared'), c.get('only-a'), c.get('only-b')]).toEqual(['from b', 1, 2]);
  });

  it('beyond eight packs a flush merges what it read into one, dropping entries unused for the max age', () => {
    const dir = mkdtempSync(path.join(base, 'merge-'));
    const now = 100 * DAY;
    const ages = [40, 39, 20, 10, 5, 3, 2, 1]; // days ago each of eight runs wrote its entry
    ages.forEach((days, i) => {
      const run = entryPack(dir, 'area', { maxAgeDays: 30, now: () => now - days * DAY });
      run.put(`run${i}`, i);
      run.flush();
    });
    expect(packsIn(dir)).toHaveLength(8);
    const merging = entryPack(dir, 'area', { maxAgeDays: 30, now: () => now });
    expect(merging.get('run0')).toBe(0); // 40 days old but used now: kept, stamped now
    merging.put('new', 'x');
    merging.flush();
    const [merged, ...rest] = packsIn(dir);
    expect(rest).toEqual([]);
    const rows = lines(dir, merged!).map((l) => JSON.parse(l) as [string, number, unknown]);
    // run1 (39 days, unused) is gone; the others keep their own stamps
    expect(rows.map((r) => r[0]).sort()).toEqual(['new', 'run0', 'run2', 'run3', 'run4', 'run5', 'run6', 'run7']);
    expect(rows.find((r) => r[0] === 'run0')![1]).toBe(now);
    expect(rows.find((r) => r[0] === 'run2')![1]).toBe(now - 20 * DAY);
    const read = entryPack(dir, 'area', { maxAgeDays: 30 });
    expect([read.get('run0'), read.get('run1'), read.get('new')]).toEqual([0, undefined, 'x']);
  });

  it('a hit on an entry stamped over a day ago is written again, stamped now', () => {
    const dir = mkdtempSync(path.join(base, 'stamp-'));
    const now = 50 * DAY;
    const old = entryPack(dir, 'area', { maxAgeDays: 30, now: () => now - 2 * DAY });
    old.put('k', 'v');
    old.put('unused', 'w');
    old.flush();
    const run = entryPack(dir, 'area', { maxAgeDays: 30, now: () => now });
    expect(run.get('k')).toBe('v');
    run.flush();
    const packs = packsIn(dir);
    expect(packs).toHaveLength(2);
    expect(lines(dir, packs[1]!).map((l) => JSON.parse(l) as unknown)).toEqual([['k', now, 'v']]);
  });

  it('a cache that cannot be written costs only speed', () => {
    const dir = mkdtempSync(path.join(base, 'ro-'));
    // a file where the cache dir should be: no user, root included, can write under it
    writeFileSync(path.join(dir, 'cache'), 'not a dir');
    const run = entryPack(path.join(dir, 'cache'), 'area', { maxAgeDays: 30 });
    run.put('k', 'v');
    expect(() => run.flush()).not.toThrow();
    expect(run.get('k')).toBe('v');
  });
});
