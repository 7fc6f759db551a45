/**
 * What the pipelines' sharded publish jobs rely on: n `kiln publish --shard i/n` processes running at
 * once (as the matrix / `parallel:` jobs do) leave the remote with exactly the branches, and the same
 * trees, as one unsharded publish of the same source commit — for per-cluster branches and for
 * environment branches shared by several clusters. Shards are assigned by branch: every branch is
 * rendered and pushed by exactly one shard.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gitIn, makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

function trees(remote: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of remoteBranches(remote).keys()) out.set(b, gitIn(remote, 'rev-parse', `${b}^{tree}`));
  return out;
}

async function publish(fleet: string, remote: string, shard?: string) {
  const r = await spawnKiln(['--cwd', fleet, '--json', '--log-level', 'warn', 'publish', '--remote', remote, ...(shard ? ['--shard', shard] : [])]).done;
  expect(r.code, `publish ${shard ?? 'all'}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as { branches: Array<{ branch: string; action: string }> };
}

describe('sharded publish', { timeout: 300_000 }, () => {
  const repos: FleetRepo[] = [];
  afterAll(() => repos.forEach((r) => r.cleanup()));

  const setup = (clusters: number, extraConfig = '') => {
    const repo = makeFleetRepo(genFleetDir({ clusters }));
    repos.push(repo);
    if (extraConfig) {
      appendFileSync(path.join(repo.fleet, 'kiln.yaml'), extraConfig);
      repo.commit('output layout');
    }
    const sharded = path.join(repo.dir, 'sharded.git');
    const whole = path.join(repo.dir, 'whole.git');
    gitIn(repo.dir, 'init', '--quiet', '--bare', sharded);
    gitIn(repo.dir, 'init', '--quiet', '--bare', whole);
    return { repo, sharded, whole };
  };

  it('3 parallel shards of 12 clusters = one unsharded publish (per-cluster branches)', async () => {
    const { repo, sharded, whole } = setup(12);
    const parts = await Promise.all(['1/3', '2/3', '3/3'].map((s) => publish(repo.fleet, sharded, s)));
    // each shard did a disjoint, non-empty part
    const mine = parts.map((p) => p.branches.map((b) => b.branch));
    expect(mine.every((m) => m.length > 0)).toBe(true);
    expect(new Set(mine.flat()).size).toBe(mine.flat().length);
    const all = await publish(repo.fleet, whole);
    expect(all.branches).toHaveLength(12);
    expect(trees(sharded)).toEqual(trees(whole));
  });

  it('4 parallel shards = one unsharded publish when clusters share environment branches', async () => {
    const { repo, sharded, whole } = setup(9, '  output:\n    branch: "rendered/{{ .Cluster.environment }}"\n    path: "clusters/{{ .Cluster.name }}"\n');
    const parts = await Promise.all(['1/4', '2/4', '3/4', '4/4'].map((s) => publish(repo.fleet, sharded, s)));
    // disjoint and together complete: each branch pushed by exactly one shard (a shard may get none)
    const mine = parts.map((p) => p.branches.map((b) => b.branch));
    expect(mine.flat().sort()).toEqual(['rendered/dev', 'rendered/prod', 'rendered/staging']);
    // and each shard rendered only the clusters of its own branches (ls shows a shard's clusters)
    const lsShard = async (s: string) => {
      const r = await spawnKiln(['--cwd', repo.fleet, '--json', 'ls', '--shard', s]).done;
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { clusters: Array<{ name: string; branch: string }> }).clusters;
    };
    const listed = await Promise.all(['1/4', '2/4', '3/4', '4/4'].map(lsShard));
    expect(listed.flat().map((c) => c.name).sort()).toHaveLength(9);
    expect(new Set(listed.flat().map((c) => c.name)).size).toBe(9);
    listed.forEach((cs, i) => expect(new Set(cs.map((c) => c.branch))).toEqual(new Set(mine[i])));
    const all = await publish(repo.fleet, whole);
    expect(all.branches.map((b) => b.branch).sort()).toEqual(['rendered/dev', 'rendered/prod', 'rendered/staging']);
    expect(trees(sharded)).toEqual(trees(whole));
    // every cluster of an environment is on its branch
    const files = gitIn(sharded, 'ls-tree', '-r', '--name-only', 'rendered/dev').split('\n');
    expect(new Set(files.filter((f) => f.startsWith('clusters/')).map((f) => f.split('/')[1])).size).toBe(3);
  });
});
