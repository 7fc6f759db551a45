/**
 * Staging a push's refs as one write of packed-refs (src/git/stage-refs.ts): git reads back exactly
 * the staged refs under the namespace (each one looked up by name, which needs the file sorted as git
 * sorts), every other ref as it was (an annotated tag keeps its peeled id), stale staged refs loose or
 * packed are gone, and git's own tools take the file (fsck, pack-refs, a wildcard push).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stagePackedRefs } from '../../src/git/stage-refs.js';
import { gitIn, sh } from '../helpers/fleet-repo.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(): { gd: string; commits: string[]; tag: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-stage-refs-'));
  dirs.push(dir);
  const gd = path.join(dir, 'r.git');
  gitIn(dir, 'init', '--quiet', '--bare', gd);
  const tree = sh(dir, 'git', ['--git-dir', gd, 'mktree'], '').trim();
  const commits = ['a', 'b', 'c', 'd'].map((m) => gitIn(dir, '--git-dir', gd, 'commit-tree', tree, '-m', m));
  gitIn(dir, '--git-dir', gd, 'update-ref', 'refs/heads/main', commits[0]!);
  gitIn(dir, '--git-dir', gd, 'tag', '-a', '-m', 'v1', 'v1', commits[1]!);
  gitIn(dir, '--git-dir', gd, 'update-ref', 'refs/kiln/push/stale-packed', commits[2]!);
  gitIn(dir, '--git-dir', gd, 'pack-refs', '--all');
  // left loose: a stale staged ref, and one outside the namespace
  gitIn(dir, '--git-dir', gd, 'update-ref', 'refs/kiln/push/rendered/stale-loose', commits[2]!);
  gitIn(dir, '--git-dir', gd, 'update-ref', 'refs/heads/loose', commits[3]!);
  return { gd, commits, tag: gitIn(dir, '--git-dir', gd, 'rev-parse', 'refs/tags/v1') };
}

const refsOf = (gd: string) => gitIn(gd, '--git-dir', gd, 'for-each-ref', '--format=%(refname) %(objectname) %(*objectname)').split('\n');

describe('stagePackedRefs', () => {
  // names whose byte order differs from a locale's or a case-blind one, and branch-like depth
  const names = ['rendered/prod/B-2', 'rendered/prod/a-1', 'rendered/prod/a.1', 'rendered/prod/a/x', 'rendered/dev/Z', 'rendered/dev-x/y', 'rendered/dev/ä'];

  it('leaves exactly the staged refs in the namespace and every other ref as it was', () => {
    const { gd, commits, tag } = repo();
    const staged = new Map(names.map((n, i) => [`refs/kiln/push/${n}`, commits[i % 4]!]));
    return stagePackedRefs(gd, 'refs/kiln/push/', staged).then(() => {
      expect(refsOf(gd).sort()).toEqual(
        [
          `refs/heads/loose ${commits[3]} `,
          `refs/heads/main ${commits[0]} `,
          `refs/tags/v1 ${tag} ${commits[1]}`,
          ...[...staged].map(([r, id]) => `${r} ${id} `),
        ].sort(),
      );
      // each looked up by name: git bisects a sorted packed-refs file
      for (const [r, id] of staged) expect(gitIn(gd, '--git-dir', gd, 'rev-parse', '--verify', '--quiet', r)).toBe(id);
      for (const gone of ['refs/kiln/push/stale-packed', 'refs/kiln/push/rendered/stale-loose']) expect(() => gitIn(gd, '--git-dir', gd, 'rev-parse', '--verify', '--quiet', gone)).toThrow();
      gitIn(gd, '--git-dir', gd, 'fsck', '--no-dangling');
    });
  });

  it('a second staging (a retry) replaces the first; git pushes from it and packs it again', async () => {
    const { gd, commits } = repo();
    await stagePackedRefs(gd, 'refs/kiln/push/', new Map(names.map((n) => [`refs/kiln/push/${n}`, commits[0]!])));
    await stagePackedRefs(gd, 'refs/kiln/push/', new Map([[`refs/kiln/push/${names[1]}`, commits[3]!]]));
    expect(refsOf(gd).filter((l) => l.startsWith('refs/kiln/'))).toEqual([`refs/kiln/push/${names[1]} ${commits[3]} `]);
    const remote = path.join(path.dirname(gd), 'remote.git');
    gitIn(gd, 'init', '--quiet', '--bare', remote);
    gitIn(gd, '--git-dir', gd, 'push', '--quiet', '--atomic', remote, 'refs/kiln/push/*:refs/heads/*');
    expect(gitIn(remote, '--git-dir', remote, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(`refs/heads/${names[1]} ${commits[3]}`);
    gitIn(gd, '--git-dir', gd, 'pack-refs', '--all');
    expect(gitIn(gd, '--git-dir', gd, 'rev-parse', `refs/kiln/push/${names[1]}`)).toBe(commits[3]);
    await stagePackedRefs(gd, 'refs/kiln/push/', new Map());
    expect(refsOf(gd).filter((l) => l.startsWith('refs/kiln/'))).toEqual([]);
  });

  it('refuses names that would corrupt the file or that git refuses, and ids that are not ids', async () => {
    const { gd, commits } = repo();
    for (const bad of ['refs/kiln/push/a\nb', 'refs/kiln/push/a b', 'refs/kiln/push/a..b', 'refs/kiln/push/a.lock', 'refs/other/x']) {
      await expect(stagePackedRefs(gd, 'refs/kiln/push/', new Map([[bad, commits[0]!]])), JSON.stringify(bad)).rejects.toThrow(/cannot stage/);
    }
    await expect(stagePackedRefs(gd, 'refs/kiln/push/', new Map([['refs/kiln/push/x', 'HEAD']]))).rejects.toThrow(/cannot stage/);
    // nothing was written
    expect(refsOf(gd).filter((l) => l.startsWith('refs/kiln/push/')).length).toBe(2);
  });
});
