/**
 * holdUntil (src/util/hold-until.ts): what publish's rendered branches do while the remote's heads
 * are fetched. Held items cost the producer nothing until the bound; they are worked in order once
 * ready; a failure stops the producer at its next hand-over; stop drops what has not started.
 */
import { describe, expect, it } from 'vitest';
import { holdUntil } from '../../src/util/hold-until.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => ((resolve = a), (reject = b)));
  return { promise, resolve, reject };
}

/** Whether `p` has settled after the queued microtasks and one macrotask ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

describe('holdUntil', () => {
  it('holds items until ready without making the producer wait, then works them in the order given', async () => {
    const ready = deferred();
    const worked: number[] = [];
    const h = holdUntil(ready.promise, 3, async (n: number) => {
      worked.push(n);
    });
    for (const n of [1, 2, 3]) expect(await settled(h.push(n))).toBe(true);
    expect(h.held).toBe(3);
    expect(worked).toEqual([]);
    // past the bound the producer waits for the heads, then works its item itself
    const fourth = h.push(4);
    expect(await settled(fourth)).toBe(false);
    ready.resolve();
    await fourth;
    await h.drain();
    expect(worked.filter((n) => n !== 4)).toEqual([1, 2, 3]); // the held ones in order; the producer's own may come first
    expect([...worked].sort()).toEqual([1, 2, 3, 4]);
    expect(h.held).toBe(0);
    // once ready, an item is worked before push resolves
    await h.push(5);
    expect(worked).toContain(5);
  });

  it('a failed wait is thrown by the next push and by drain; the held items are never worked', async () => {
    const ready = deferred();
    const worked: number[] = [];
    const h = holdUntil(ready.promise, 10, async (n: number) => void worked.push(n));
    await h.push(1);
    await h.push(2);
    ready.reject(new Error('fetch failed'));
    await expect(h.drain()).rejects.toThrow('fetch failed');
    await expect(h.push(3)).rejects.toThrow('fetch failed');
    expect(worked).toEqual([]);
  });

  it("a held item's failure stops the producer at its next push, and drain throws it; later held items are not worked", async () => {
    const ready = deferred();
    const worked: number[] = [];
    const h = holdUntil(ready.promise, 10, async (n: number) => {
      if (n === 2) throw new Error('fast-import refused 2');
      worked.push(n);
    });
    for (const n of [1, 2, 3]) await h.push(n);
    ready.resolve();
    await expect(h.drain()).rejects.toThrow('fast-import refused 2');
    await expect(h.push(4)).rejects.toThrow('fast-import refused 2');
    expect(worked).toEqual([1]);
  });

  it('stop: held items not started are dropped; it resolves once the one being worked settled', async () => {
    const ready = deferred();
    const gate = deferred();
    const worked: number[] = [];
    const h = holdUntil(ready.promise, 10, async (n: number) => {
      worked.push(n);
      if (n === 1) await gate.promise;
    });
    for (const n of [1, 2, 3]) await h.push(n);
    ready.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(worked).toEqual([1]); // item 1 is being worked, 2 and 3 wait behind it
    const stopping = h.stop();
    expect(await settled(stopping)).toBe(false);
    gate.resolve();
    await stopping;
    expect(worked).toEqual([1]);
  });
});
