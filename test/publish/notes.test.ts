/** A publish or promote that changes no file notes the newer source commit on the head (refs/notes/kiln). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

type Env = { name: string; reference?: { commit: string }; clusters: Array<{ cluster: string; sourceCommit: string; committedSource?: string; behind: number }> };

describe('status after a no-op publish or promote', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo();
  });
  afterEach(() => repo.cleanup());
  const run = (...a: string[]) => kiln(...a, '--cwd', repo.fleet, '--json', '--log-level', 'error');
  const status = async (): Promise<Map<string, Env>> => new Map(JSON.parse((await run('status')).stdout).environments.map((e: Env) => [e.name, e]));

  it('publish that changes no file: status reports 0 behind, promote and a second no-op build on the note, no commit is made', async () => {
    const a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    expect((await run('publish')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    const b = repo.commit('docs only');

    const p = await run('publish');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).branches.every((x: { action: string }) => x.action === 'unchanged')).toBe(true);
    expect(remoteBranches(repo.remote)).toEqual(before);
    // one note per head, on the remote's refs/notes/kiln
    const dev = [...before.entries()].find(([k]) => k.startsWith('rendered/dev/'))!;
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', dev[1])).toBe(`Kiln-Source-Commit: ${b}`);

    let s = await status();
    for (const e of s.values()) {
      for (const c of e.clusters) {
        expect([c.cluster, c.sourceCommit, c.committedSource, c.behind]).toEqual([c.cluster, b, a, 0]);
      }
    }

    // the next no-op, published to dev only, moves dev's notes on; staging trails until promoted
    const c2 = repo.commit('another no-op');
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    s = await status();
    expect(s.get('dev')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('dev')!.clusters.map(() => [c2, 0]));
    expect(s.get('staging')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('staging')!.clusters.map(() => [b, 1]));
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'list').split('\n')).toHaveLength(before.size);

    // promote reads the note (dev runs c2) and, staging already holding c2's render, notes it there too
    const pr = await run('promote', '--to', 'staging');
    expect(pr.code, pr.stderr).toBe(0);
    expect(JSON.parse(pr.stdout).sourceCommit).toBe(c2);
    expect(remoteBranches(repo.remote)).toEqual(before);
    s = await status();
    expect(s.get('staging')!.clusters.map((c) => [c.sourceCommit, c.behind])).toEqual(s.get('staging')!.clusters.map(() => [c2, 0]));
    expect((await run('promote', '--to', 'prod')).code).toBe(0);
    expect(remoteBranches(repo.remote)).toEqual(before);

    // report shows the noted commit too
    const out = `${repo.dir}/site`;
    const r = await kiln('report', '--out', out, '--cwd', repo.fleet, '--json', '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    const clusters = JSON.parse(readFileSync(`${out}/report.json`, 'utf8')).clusters as Array<{ sourceCommit: string; behind: number }>;
    expect(clusters.length).toBe(before.size);
    for (const c of clusters) expect([c.sourceCommit, c.behind]).toEqual([c2, 0]);
  });

  it('a dry run notes nothing; an older source commit is never noted over a newer one', async () => {
    expect((await run('publish')).code).toBe(0);
    const a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    repo.commit('no-op');
    expect((await run('publish', '--dry-run')).code).toBe(0);
    expect(() => gitIn(repo.remote, 'rev-parse', '--verify', 'refs/notes/kiln')).toThrow();
    expect((await run('publish')).code).toBe(0);
    const noted = gitIn(repo.remote, 'rev-parse', 'refs/notes/kiln');
    // publishing a again (e.g. a late CI job of the older commit) leaves the notes alone
    gitIn(repo.fleet, 'checkout', '--quiet', a);
    expect((await run('publish')).code).toBe(0);
    expect(gitIn(repo.remote, 'rev-parse', 'refs/notes/kiln')).toBe(noted);
  });
});

describe('concurrent no-op publishes', () => {
  let repo: FleetRepo;
  beforeEach(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 4 }));
  });
  afterEach(() => repo.cleanup());

  it('race to note their source commits: every head ends noted with the newest, never an older one', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error')).code).toBe(0);
    const heads = remoteBranches(repo.remote);
    const clones = [0, 1, 2].map((i) => {
      const dir = path.join(repo.dir, `clone-${i}`);
      gitIn(repo.dir, 'clone', '--quiet', repo.fleet, dir);
      return dir;
    });
    for (let round = 0; round < 2; round++) {
      const commits = clones.map((_, i) => repo.commit(`no-op ${round}.${i}`));
      // the newest publishes first: the older ones must not note over it
      const runs = clones.map((dir, i) => {
        gitIn(dir, 'fetch', '--quiet', 'origin');
        gitIn(dir, 'checkout', '--quiet', commits[clones.length - 1 - i]!);
        return spawnKiln(['publish', '--cwd', dir, '--remote', repo.remote, '--json', '--log-level', 'warn']);
      });
      const results = await Promise.all(runs.map((x) => x.done));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const log = results.map((r) => r.stderr).join('\n---\n');
      expect(remoteBranches(repo.remote)).toEqual(heads);
      const newest = commits[commits.length - 1]!;
      const noteOf = (h: string) => {
        try {
          return gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', h);
        } catch {
          return 'no note';
        }
      };
      for (const h of heads.values()) expect(noteOf(h), `round ${round}: ${log}`).toBe(`Kiln-Source-Commit: ${newest}`);
    }
  }, 300_000); // 7 kiln runs, 6 of them child processes: slow on a loaded 2-core CI box
});
