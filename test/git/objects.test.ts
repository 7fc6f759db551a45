import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobId, treeId } from '../../src/git/objects.js';
import { gitIn, sh } from '../helpers/fleet-repo.js';

describe('git object ids computed in-process', () => {
  it('match what git itself computes for the same files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-obj-'));
    try {
      gitIn(dir, 'init', '--quiet', '--bare', 'r.git');
      const gd = path.join(dir, 'r.git');
      // names chosen to exercise git's ordering: "a-b" < "a.b" < "a/" (dir) < "a0", and a nested dir
      const files = new Map<string, string>([
        ['README.md', '# hi\n'],
        ['a-b', 'x'],
        ['a.b', 'y'],
        ['a/z.yaml', 'kind: A\n'],
        ['a/b/c.yaml', 'deep\n'],
        ['a0', ''],
        ['.kiln/metadata.yaml', 'k: ü\n'],
      ]);
      const idx = path.join(dir, 'index');
      for (const [p, c] of files) {
        const id = sh(dir, 'git', ['--git-dir', gd, 'hash-object', '-w', '--stdin'], c).trim();
        expect(blobId(Buffer.from(c))).toBe(id);
        sh(dir, 'git', ['--git-dir', gd, 'update-index', '--add', '--cacheinfo', `100644,${id},${p}`], undefined);
      }
      void idx;
      const tree = sh(dir, 'git', ['--git-dir', gd, 'write-tree']).trim();
      expect(treeId(files)).toBe(tree);
      files.set('a/z.yaml', 'kind: B\n');
      expect(treeId(files)).not.toBe(tree);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
