/**
 * The young-generation ceiling holds under allocation pressure that grows V8's new space to its
 * maximum without it, and a process given its own --max-semi-space-size keeps it. Each case runs in
 * its own Node process (V8 flags are per process), started with a 64 MiB semi-space maximum so that
 * growth is possible whatever the machine's memory.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fleet-repo.js';

const moduleUrl = pathToFileURL(path.join(projectRoot, 'dist/util/young-generation.js')).href;

/** Peak new-space MiB of an allocation loop that keeps 1 object in 40; `cap`: how capYoungGeneration is called. */
function peakNewSpace(cap: 'none' | 'injected' | 'as-started'): { peak: number; installed: boolean } {
  const script = `
    import v8 from 'node:v8';
    const { capYoungGeneration } = await import(${JSON.stringify(moduleUrl)});
    const installed = ${cap === 'none' ? 'false' : cap === 'injected' ? 'capYoungGeneration({ execArgv: [], nodeOptions: "" })' : 'capYoungGeneration()'};
    const ns = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1048576;
    const keep = [];
    let peak = 0;
    for (let round = 0; round < 300; round++) {
      const junk = [];
      for (let i = 0; i < 20000; i++) junk.push({ a: 'x' + i, b: [i, i + 1], c: { d: i } });
      keep.push(junk.slice(0, 500));
      if (round % 3 === 0) await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, ns());
    }
    console.log(JSON.stringify({ peak, installed }));`;
  const out = execFileSync(process.execPath, ['--max-semi-space-size=64', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(out) as { peak: number; installed: boolean };
}

describe('young generation ceiling', () => {
  it('keeps the new space at about 2 × 16 MiB where it would grow to 2 × 64 MiB, and leaves a size the process was given', () => {
    const free = peakNewSpace('none');
    expect(free.peak).toBeGreaterThan(64);
    const capped = peakNewSpace('injected');
    expect(capped.installed).toBe(true);
    // one growth step may land before the GC notice that stops it
    expect(capped.peak).toBeLessThanOrEqual(64);
    expect(capped.peak).toBeLessThan(free.peak / 2);
    const own = peakNewSpace('as-started');
    expect(own.installed).toBe(false);
    expect(own.peak).toBeGreaterThan(64);
  });
});
