/** One long-lived `git cat-file --batch`: answers match `git cat-file` for concurrent, large and missing requests. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatFile } from '../../src/git/cat-file.js';
import { blobId } from '../../src/git/objects.js';
import { gitIn, sh } from '../helpers/fleet-repo.js';

describe('CatFile', () => {
  let dir: string;
  let gd: string;
  const blobs = new Map<string, Buffer>();
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-catfile-'));
    gd = path.join(dir, 'r.git');
    gitIn(dir, 'init', '--quiet', '--bare', gd);
    const contents = [
      '',
      'kind: A\n',
      'no newline at the end',
      // several pipe buffers long, with newlines inside that must not be read as headers
      Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''),
      ...Array.from({ length: 50 }, (_, i) => `small ${i}\n`),
    ];
    for (const c of contents) {
      const id = sh(dir, 'git', ['--git-dir', gd, 'hash-object', '-w', '--stdin'], c).trim();
      blobs.set(id, Buffer.from(c));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers concurrent requests, each with its own objects, missing ones left out', async () => {
    const cat = new CatFile(gd);
    try {
      const ids = [...blobs.keys()];
      const missing = blobId(Buffer.from('never written'));
      const requests = [ids, [missing], ids.slice(3, 5), [ids[1]!, missing, ids[1]!], ...ids.map((id) => [id])];
      const answers = await Promise.all(requests.map((r) => cat.read(r)));
      requests.forEach((r, i) => {
        const got = answers[i]!;
        expect([...got.keys()].sort()).toEqual([...new Set(r.filter((id) => id !== missing))].sort());
        for (const [id, o] of got) {
          expect(o.type).toBe('blob');
          expect(o.body.equals(blobs.get(id)!)).toBe(true);
        }
      });
      expect(await cat.read([])).toEqual(new Map());
      await expect(cat.read(['HEAD\n' + ids[0]])).rejects.toThrow(/not a git object id/);
      // still in step after the refused request
      expect((await cat.read([ids[1]!])).get(ids[1]!)!.body.toString()).toBe('kind: A\n');
    } finally {
      await cat.close();
    }
    await expect(cat.read([...blobs.keys()])).rejects.toThrow(/closed/);
  });

  it('fails its requests, rather than hanging, when git cannot run', async () => {
    const cat = new CatFile(path.join(dir, 'no-such-repo.git'));
    try {
      await expect(cat.read([...blobs.keys()])).rejects.toThrow();
    } finally {
      await cat.close();
    }
  });
});
