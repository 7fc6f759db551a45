/**
 * The heap ceilings hold under allocation pressure that grows V8's heap past them without them, and a
 * process given its own size for a generation keeps it. Each case runs in its own Node process (V8
 * flags are per process), started with sizes that make growth possible whatever the machine's memory:
 * a 64 MiB semi-space maximum, and an old generation that grows 4 × past what it keeps
 * (--heap-growing-percent=300, which the old ceiling overrides where it is installed).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { oldGrowthPercent } from '../../src/util/heap-ceiling.js';
import { projectRoot } from '../helpers/fleet-repo.js';

const moduleUrl = pathToFileURL(path.join(projectRoot, 'dist/util/heap-ceiling.js')).href;

type Cap = 'none' | 'injected' | 'as-started';
const capCall = (cap: Cap, opts: string) => (cap === 'none' ? '({ young: false, old: false })' : cap === 'injected' ? `capHeap({ ${opts} execArgv: [], nodeOptions: "" })` : `capHeap({ ${opts} })`);

function run<T>(flags: string[], body: string): T {
  const script = `
    import v8 from 'node:v8';
    const { capHeap } = await import(${JSON.stringify(moduleUrl)});
    const space = (p) => v8.getHeapSpaceStatistics().filter((s) => p(s.space_name));
    ${body}`;
  const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out) as T;
}

/** Peak new-space MiB of an allocation loop that keeps 1 object in 40. */
const peakNewSpace = (cap: Cap) =>
  run<{ peak: number; installed: { young: boolean } }>(
    ['--max-semi-space-size=64'],
    `const installed = ${capCall(cap, '')};
    const keep = [];
    let peak = 0;
    for (let round = 0; round < 300; round++) {
      const junk = [];
      for (let i = 0; i < 20000; i++) junk.push({ a: 'x' + i, b: [i, i + 1], c: { d: i } });
      keep.push(junk.slice(0, 500));
      if (round % 3 === 0) await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, space((n) => n === 'new_space')[0].space_size / 1048576);
    }
    console.log(JSON.stringify({ peak, installed }));`,
  );

/**
 * Peak MiB of the old generation's used bytes while what stays alive grows to ~30 MiB and batches that
 * live long enough to be promoted die one after another; the old ceiling (where installed) is 100
 * MiB. The young generation is fixed at 16 MiB, its ceiling's size, so only the old one acts.
 */
const peakOld = (cap: Cap) =>
  run<{ peak: number; installed: { young: boolean; old: boolean } }>(
    ['--max-semi-space-size=16', '--heap-growing-percent=300'],
    `const installed = ${capCall(cap, 'oldMiB: 100,')};
    const old = () => space((n) => !n.startsWith('new_')).reduce((a, s) => a + s.space_used_size, 0) / 1048576;
    const keep = [];
    const recent = [];
    let peak = 0;
    for (let round = 0; round < 300; round++) {
      const batch = [];
      for (let i = 0; i < 20000; i++) batch.push({ s: 'y' + i + ':' + round, n: [i, round] });
      if (round % 2 === 0) await new Promise((r) => setImmediate(r));
      if (round % 3 === 0 && round < 36) keep.push(batch);
      recent.push(batch);
      if (recent.length > 8) recent.shift();
      peak = Math.max(peak, old());
    }
    console.log(JSON.stringify({ peak, installed }));`,
  );

describe('heap ceilings', () => {
  it('keeps the new space at about 2 × 16 MiB where it would grow to 2 × 64 MiB, and leaves a size the process was given', () => {
    const free = peakNewSpace('none');
    expect(free.peak).toBeGreaterThan(64);
    const capped = peakNewSpace('injected');
    expect(capped.installed.young).toBe(true);
    // one growth step may land before the GC notice that stops it
    expect(capped.peak).toBeLessThanOrEqual(64);
    expect(capped.peak).toBeLessThan(free.peak / 2);
    const own = peakNewSpace('as-started');
    expect(own.installed.young).toBe(false);
    expect(own.peak).toBeGreaterThan(64);
  });

  it('holds the old generation near its ceiling where V8 would let garbage reach 4 × what it keeps, and leaves a growth the process was given', () => {
    const free = peakOld('none');
    const capped = peakOld('injected');
    const own = peakOld('as-started');
    expect(capped.installed.old).toBe(true);
    expect(own.installed).toEqual({ young: false, old: false });
    expect(free.peak).toBeGreaterThan(200);
    expect(own.peak).toBeGreaterThan(200);
    // marking runs beside the program, which keeps allocating until it ends: some slack over the trigger
    expect(capped.peak).toBeLessThanOrEqual(150);
  });

  it('sets the growth for what the next full GC is expected to keep: V8 decides where 4 × that stays under the ceiling, never less than a tenth', () => {
    // steady: the next full GC expected to keep as much as this one
    expect(oldGrowthPercent(50, 50, 320)).toBe(0);
    expect(oldGrowthPercent(80, 80, 320)).toBe(0);
    expect(oldGrowthPercent(160, 160, 320)).toBe(100);
    expect(oldGrowthPercent(256, 256, 320)).toBe(25);
    expect(oldGrowthPercent(300, 300, 320)).toBe(10);
    expect(oldGrowthPercent(640, 640, 320)).toBe(10);
    // growing: 60 kept after 24, so ~150 expected next; the trigger for 150 lands at the ceiling
    expect(oldGrowthPercent(60, 24, 320)).toBe(113);
    // the first full GC, and a jump past 3 ×, expect 3 × more
    expect(oldGrowthPercent(30, 0, 320)).toBe(255);
    expect(oldGrowthPercent(30, 5, 320)).toBe(255);
    // shrinking: expected to keep as much again, not less
    expect(oldGrowthPercent(160, 200, 320)).toBe(100);
  });
});
