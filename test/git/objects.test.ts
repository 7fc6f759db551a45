import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobId, branchIds, contentId, hashEntries, isBranchMeta, treeId, type TreeEntry } from '../../src/git/objects.js';
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
      // a branch's two ids from one walk: the whole tree, and the tree without README.md and .kiln/
      // (as git writes it from the deployed files alone)
      const deployed = new Map([...files].filter(([p]) => !isBranchMeta(p)));
      gitIn(dir, 'init', '--quiet', '--bare', 'd.git');
      const dd = path.join(dir, 'd.git');
      for (const [p, c] of deployed) {
        const id = sh(dir, 'git', ['--git-dir', dd, 'hash-object', '-w', '--stdin'], c).trim();
        sh(dir, 'git', ['--git-dir', dd, 'update-index', '--add', '--cacheinfo', `100644,${id},${p}`], undefined);
      }
      const content = sh(dir, 'git', ['--git-dir', dd, 'write-tree']).trim();
      expect(content).not.toBe(tree);
      const copy = new Map(files);
      expect(branchIds(copy)).toEqual({ tree, content });
      expect(contentId(copy)).toBe(content);
      files.set('a/z.yaml', 'kind: B\n');
      expect(treeId(files)).not.toBe(tree);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tree ids of entries met again (remembered per process) stay git\'s, in any order, and tell one id from another', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-obj-'));
    try {
      gitIn(dir, 'init', '--quiet', '--bare', 'r.git');
      const gd = path.join(dir, 'r.git');
      const blob = (c: string) => sh(dir, 'git', ['--git-dir', gd, 'hash-object', '-w', '--stdin'], c).trim();
      const sub = sh(dir, 'git', ['--git-dir', gd, 'mktree'], `100644 blob ${blob('x')}\tx.yaml\n`).trim();
      const entries: TreeEntry[] = [
        { mode: '100644', name: 'a b.yaml', id: blob('1') },
        { mode: '100644', name: 'ü.yaml', id: blob('2') },
        { mode: '40000', name: 'a', id: sub },
        { mode: '100644', name: 'a.yaml', id: blob('3') },
      ];
      const git = sh(dir, 'git', ['--git-dir', gd, 'mktree'], entries.map((e) => `${e.mode === '40000' ? '040000 tree' : '100644 blob'} ${e.id}\t${e.name}\n`).join('')).trim();
      expect(hashEntries(entries)).toBe(git);
      expect(hashEntries(entries)).toBe(git); // remembered
      expect(hashEntries([...entries].reverse())).toBe(git);
      const other = entries.map((e, i) => (i === 1 ? { ...e, id: blob('4') } : e));
      expect(hashEntries(other)).not.toBe(git);
      expect(hashEntries(other)).toBe(sh(dir, 'git', ['--git-dir', gd, 'mktree'], other.map((e) => `${e.mode === '40000' ? '040000 tree' : '100644 blob'} ${e.id}\t${e.name}\n`).join('')).trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
