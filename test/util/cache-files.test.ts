/**
 * The small files of kiln's caches (src/util/cache-files.ts): small entries are written blocking, big
 * ones (past 64 KiB: a chart's render, a patch build) through the thread pool; either way an entry is
 * whole or absent, and a cache that cannot be written costs speed, never the command.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheFiles } from '../../src/util/cache-files.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-cache-files-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const big = (c: string) => JSON.stringify({ data: c.repeat(200 * 1024) });

describe('cacheFiles', () => {
  it('writes small and big entries whole, reads them back, and leaves no temp file', async () => {
    const c = cacheFiles();
    const dir = path.join(base, 'a', 'b');
    await c.write(path.join(dir, 'small.json'), '{"a":1}');
    await c.write(path.join(dir, 'big.json'), big('x'));
    expect(await c.read(path.join(dir, 'small.json'))).toEqual({ a: 1 });
    expect(await c.readText(path.join(dir, 'big.json'))).toBe(big('x'));
    expect(readdirSync(dir).sort()).toEqual(['big.json', 'small.json']);
  });

  it('big entries written at once to one file: the file holds one of them whole', async () => {
    const c = cacheFiles();
    const file = path.join(base, 'race', 'entry.json');
    await Promise.all(['p', 'q', 'r', 's'].map((ch) => c.write(file, big(ch))));
    expect([big('p'), big('q'), big('r'), big('s')]).toContain(await c.readText(file));
    expect(readdirSync(path.dirname(file))).toEqual(['entry.json']);
  });

  it('a cache that cannot be written: the write resolves, the entry is a miss, no temp file is left', async () => {
    const c = cacheFiles();
    const blocked = path.join(base, 'blocked');
    writeFileSync(blocked, 'a file where the cache dir should be');
    for (const text of ['{"a":1}', big('y')]) {
      await expect(c.write(path.join(blocked, 'entry.json'), text)).resolves.toBeUndefined();
      expect(await c.readText(path.join(blocked, 'entry.json'))).toBeUndefined();
      // the dir is there, the temp file cannot be made (its name is too long): the write itself fails
      const dir = path.join(base, 'long');
      const file = path.join(dir, `${'n'.repeat(250)}.json`);
      await expect(c.write(file, text)).resolves.toBeUndefined();
      expect(await c.readText(file)).toBeUndefined();
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});
