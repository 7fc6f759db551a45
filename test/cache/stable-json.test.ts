/**
 * util/stable-json.ts must give render/common.ts's stableJson text exactly: the cluster memo's and
 * the render cache's keys are hashes of it, so one byte of difference would miss every entry.
 */
import { describe, expect, it } from 'vitest';
import { stableJson as copyPath } from '../../src/render/common.js';
import { stableJson } from '../../src/util/stable-json.js';

function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['b', 'a', 'B', '10', '9', '0', '01', '-1', '4294967295', '4294967294', '', 'é', 'Z', '__proto__', 'toJSON', 'a b', '\u2028'];
const LEAVES: unknown[] = ['x', '', 'é\u2028', '\ud800', 0, -0, 1.5, 1e21, NaN, Infinity, true, false, null, undefined];

function random(r: () => number, depth: number): unknown {
  const x = r();
  if (depth > 0 && x < 0.3) {
    const o: Record<string, unknown> = r() < 0.1 ? Object.create(null) : {};
    for (let i = Math.floor(r() * 5); i > 0; i--) {
      const k = KEYS[Math.floor(r() * KEYS.length)]!;
      if (k === 'toJSON' || k === '__proto__') continue;
      o[k] = random(r, depth - 1);
    }
    return o;
  }
  if (depth > 0 && x < 0.5) return Array.from({ length: Math.floor(r() * 4) }, () => random(r, depth - 1));
  return LEAVES[Math.floor(r() * LEAVES.length)];
}

describe('stableJson written directly', () => {
  it('gives the copy path’s text for random nestings, integer-like keys and odd values', () => {
    const r = rng(3);
    for (let i = 0; i < 5000; i++) {
      const v = random(r, 5);
      expect(stableJson(v), JSON.stringify(v)).toBe(copyPath(v));
    }
    const odd: unknown[] = [undefined, () => 1, Symbol('s'), new Date(0), new Map([[1, 2]]), [1, , 3], [undefined, () => 1], { toJSON: () => 'x', a: 1 }, JSON.parse('{"__proto__":{"b":1,"a":2}}'), { f: () => 1, s: Symbol('s'), u: undefined, a: 1 }, Object.assign(Object.create(null), { b: 1, 2: 'x', 1: 'y' })];
    for (const v of odd) for (const c of [v, [v], { k: v }]) expect(stableJson(c)).toBe(copyPath(c));
    expect(() => stableJson({ n: 1n })).toThrow(); // as JSON.stringify does
  });
});
