import { describe, expect, it } from 'vitest';
import type { ClusterPlan } from '../../src/fleet/plan.js';
import { scoutAhead } from '../../src/fleet/scout.js';

// the walk only passes plans around: stand-ins named by their index are enough
const plans = (n: number) => Array.from({ length: n }, (_, i) => ({ cluster: { name: `c${i}` } }) as unknown as ClusterPlan);
const name = (p: ClusterPlan) => p.cluster.name;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('scouts: clusters rendered ahead of their turn', () => {
  it('takes, in plan order, each plan that brings a new render, at most `slots` at once, each once', async () => {
    const all = plans(12);
    const claimed = new Set<ClusterPlan>([all[0]!]); // the main lane already has c0
    const asked: string[] = [];
    const ran: string[] = [];
    let live = 0;
    let peak = 0;
    await scoutAhead(all, {
      claimed,
      slots: 2,
      signal: new AbortController().signal,
      bringsNew: async (p) => {
        asked.push(name(p));
        return [0, 3, 4, 7, 9, 11].includes(all.indexOf(p));
      },
      run: async (p) => {
        ran.push(name(p));
        live++;
        peak = Math.max(peak, live);
        await tick();
        live--;
      },
    });
    // c0 was the main lane's: asked all the same (its renders are not new to c1…), never run here
    expect(asked).toEqual(all.map(name));
    expect(ran).toEqual(['c3', 'c4', 'c7', 'c9', 'c11']);
    expect(peak).toBe(2);
    expect([...claimed].map(name).sort()).toEqual(['c0', 'c11', 'c3', 'c4', 'c7', 'c9']);
  });

  it('leaves a plan the main lane claimed while the scout waited for a slot', async () => {
    const all = plans(4);
    const claimed = new Set<ClusterPlan>();
    const ran: string[] = [];
    await scoutAhead(all, {
      claimed,
      slots: 1,
      signal: new AbortController().signal,
      bringsNew: async () => true,
      run: async (p) => {
        ran.push(name(p));
        // while c0 runs, the main lane reaches c1 (the scout is waiting for its one slot)
        if (p === all[0]) claimed.add(all[1]!);
        await tick();
      },
    });
    expect(ran).toEqual(['c0', 'c2', 'c3']);
  });

  it('starts no scout once the run is aborted, and returns only when the running ones settled', async () => {
    const all = plans(6);
    const ac = new AbortController();
    const ran: string[] = [];
    let settled = 0;
    await scoutAhead(all, {
      claimed: new Set(),
      slots: 2,
      signal: ac.signal,
      bringsNew: async () => true,
      run: async (p) => {
        ran.push(name(p));
        if (p === all[1]) ac.abort(new Error('a cluster failed'));
        await tick();
        settled++;
      },
    });
    expect(ran).toEqual(['c0', 'c1']);
    expect(settled).toBe(2);
  });
});
