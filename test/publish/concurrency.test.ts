import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { treeId } from '../../src/git/objects.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, readTree, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { clusterNames, genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

describe('concurrent publishers', () => {
  let repo: FleetRepo;
  const commits: string[] = [];
  const N = 4;
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 12 }));
    commits.push(gitIn(repo.fleet, 'rev-parse', 'HEAD'));
    for (let i = 2; i <= N; i++) {
      setGenVersion(repo.fleet, String(i));
      commits.push(repo.commit(`version ${i}`));
    }
  });
  afterAll(() => repo.cleanup());

  it('of different source commits leave every branch on the newest render, none lost or reversed', async () => {
    // one clone per source commit, as separate CI runs would have
    const clones = commits.map((sha, i) => {
      const dir = path.join(repo.dir, `clone-${i}`);
      gitIn(repo.dir, 'clone', '--quiet', repo.fleet, dir);
      gitIn(dir, 'checkout', '--quiet', sha);
      return dir;
    });
    const runs = clones.reverse().map((dir) => spawnKiln(['publish', '--cwd', dir, '--remote', repo.remote, '--json', '--concurrency', '2']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const branches = remoteBranches(repo.remote);
    expect(branches.size).toBe(12);
    const newest = commits[commits.length - 1]!;
    for (const b of branches.keys()) {
      expect(parse(showFile(repo.remote, b, '.kiln/metadata.yaml')).sourceCommit, b).toBe(newest);
      // along the branch history, source commits only move forward
      const sources = gitIn(repo.remote, 'log', '--format=%(trailers:key=Kiln-Source-Commit,valueonly)', b).split('\n').filter(Boolean).reverse();
      const idx = sources.map((s) => commits.indexOf(s.trim()));
      expect(idx.every((v, i) => i === 0 || v > idx[i - 1]!), `${b}: ${idx.join(',')}`).toBe(true);
    }
  });
});

describe('a publish killed midway', () => {
  let repo: FleetRepo;
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 150 }));
  });
  afterAll(() => repo.cleanup());

  it('leaves every remote branch untouched or complete', async () => {
    const expected = new Map<string, Set<string>>(); // branch → acceptable full tree ids
    const remember = async (tag: string) => {
      const out = path.join(repo.dir, `render-${tag}`);
      const r = await kiln('render', '--cwd', repo.fleet, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      for (const c of clusterNames(150)) {
        const b = `rendered/${c.env}/${c.name}`;
        const s = expected.get(b) ?? new Set<string>();
        s.add(treeId(readTree(path.join(out, c.name))));
        expected.set(b, s);
      }
    };
    await remember('v1');
    const delays = [150, 600, 1200, 2500];
    for (let round = 0; round < delays.length; round++) {
      if (round > 0) {
        setGenVersion(repo.fleet, `r${round}`);
        repo.commit(`round ${round}`);
        await remember(`r${round}`);
      }
      const run = spawnKiln(['publish', '--cwd', repo.fleet, '--concurrency', '2']);
      await new Promise((r) => setTimeout(r, delays[round]));
      run.child.kill('SIGKILL');
      await run.done;
      for (const [b, sha] of remoteBranches(repo.remote)) {
        const tree = gitIn(repo.remote, 'rev-parse', `${sha}^{tree}`);
        expect(expected.get(b)?.has(tree), `${b} holds a tree no complete render produced`).toBe(true);
      }
    }
    // and a publish after all that completes. The spawner SIGKILLs the push's process group when kiln
    // dies, and over file:// that group holds the remote's receive-pack: killed between locking and
    // committing a ref, it leaves the lock behind (on a forge the server side is not killed). Then,
    // and only then, kiln must name the lock files, which must exist; removed, the publish completes.
    let final = await kiln('publish', '--cwd', repo.fleet);
    if (final.code !== 0) {
      expect(final.code, final.stderr).toBe(4);
      const named = /lock file\(s\) exist there: (.*)$/m.exec(final.stderr)?.[1]?.split(', ').map((f) => f.replace(/ and \d+ more$/, ''));
      expect(named?.length, final.stderr).toBeGreaterThan(0);
      for (const f of named!) expect(existsSync(f), f).toBe(true);
      for (const f of locksUnder(repo.remote)) rmSync(f);
      final = await kiln('publish', '--cwd', repo.fleet);
    }
    expect(final.code, final.stderr).toBe(0);
    expect(remoteBranches(repo.remote).size).toBe(150);
  });
});

describe('scale smoke', () => {
  it('publishes 500 clusters in one run without a checkout per branch', async () => {
    const repo = makeFleetRepo(genFleetDir({ clusters: 500 }));
    try {
      const refsBefore = gitIn(repo.fleet, 'for-each-ref');
      const r = await kiln('publish', '--cwd', repo.fleet, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).branches.filter((b: { action: string }) => b.action === 'created')).toHaveLength(500);
      expect(remoteBranches(repo.remote).size).toBe(500);
      // the user's repo gained no refs, index or work-tree changes
      expect(gitIn(repo.fleet, 'for-each-ref')).toBe(refsBefore);
      expect(gitIn(repo.fleet, 'status', '--porcelain')).toBe('');
      expect(gitIn(repo.fleet, 'worktree', 'list').split('\n')).toHaveLength(1);
    } finally {
      repo.cleanup();
    }
  });
});

function locksUnder(dir: string): string[] {
  return readdirSync(path.join(dir, 'refs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.lock'))
    .map((f) => path.join(dir, 'refs', f));
}
