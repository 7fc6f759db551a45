/**
 * Whole-cluster skip on publish: a branch whose head already holds what its cluster's remembered
 * render produced is neither fetched nor rendered — and nothing else is skipped. Real tools behind
 * counting wrappers, real git.
 */
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBenchFleet } from '../../bench/gen-fleet.js';
import { clusterKey, clusterKeyOnce, diskClusterMemo } from '../../src/fleet/cluster-memo.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { loadConfig } from '../../src/config/load.js';
import { planFleet } from '../../src/fleet/plan.js';
import { diskCommitFacts } from '../../src/git/commit-facts.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { memoFleet, type MemoFleet } from '../helpers/memo-fleet.js';
import type { ToolCalls } from '../helpers/tool-calls.js';

let base: string;
let repo: FleetRepo;
let tools: ToolCalls;
let fleet: MemoFleet;

interface Published {
  branches: Array<{ branch: string; action: string; commit?: string }>;
}

async function publish(...extra: string[]): Promise<{ out: Published; stderr: string; actions: Record<string, string> }> {
  const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'info', ...extra);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as Published;
  return { out, stderr: r.stderr, actions: Object.fromEntries(out.branches.map((b) => [b.branch, b.action])) };
}

const count = (actions: Record<string, string>, a: string) => Object.values(actions).filter((x) => x === a).length;

beforeAll(async () => {
  fleet = await memoFleet('kiln-memo-test-', 8);
  ({ base, repo, tools } = fleet);
});

afterAll(() => fleet.cleanup());

describe('cluster memo', () => {
  it('a no-change publish renders and fetches nothing; the first one remembered every cluster', async () => {
    const first = await publish();
    expect(count(first.actions, 'created')).toBe(8);
    expect(tools.take().any).toBeGreaterThan(8);
    const again = await publish();
    expect(count(again.actions, 'unchanged')).toBe(8);
    expect(tools.take().any).toBe(0);
    expect(again.stderr).toContain('8 branch(es) already hold what their clusters render');
    // and the branches did not move
    expect(again.out.branches.map((b) => b.commit)).toEqual(first.out.branches.map((b) => b.commit));
  });

  it('a changed input re-renders exactly the clusters that read it', async () => {
    const values = path.join(repo.fleet, 'values/gateway/prod.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace('maxReplicas: 30', 'maxReplicas: 41'));
    repo.commit('prod gateway maxReplicas 41');
    const { actions } = await publish();
    const prod = Object.keys(actions).filter((b) => b.includes('/prod/'));
    expect(prod.length).toBeGreaterThan(0);
    for (const b of prod) expect(actions[b]).toBe('updated');
    expect(count(actions, 'unchanged')).toBe(8 - prod.length);
    expect(tools.take().helm).toBe(1); // one distinct prod helm input; nothing else rendered
    for (const b of prod) expect(showFile(repo.remote, b, 'manifests/gateway/gateway--horizontalpodautoscaler--gateway.yaml')).toContain('maxReplicas: 41');
  });

  it('a branch moved on the remote (reset to an older commit) is fetched, rendered and restored', async () => {
    const prodBranch = [...remoteBranches(repo.remote).keys()].find((b) => b.includes('/prod/'))!;
    const now = remoteBranches(repo.remote).get(prodBranch)!;
    const previous = gitIn(repo.remote, 'rev-parse', `${now}^`);
    gitIn(repo.remote, 'update-ref', `refs/heads/${prodBranch}`, previous, now);
    const { actions } = await publish();
    expect(actions[prodBranch]).toBe('updated');
    expect(count(actions, 'unchanged')).toBe(7);
    expect(showFile(repo.remote, prodBranch, 'manifests/gateway/gateway--horizontalpodautoscaler--gateway.yaml')).toContain('maxReplicas: 41');
    tools.take();
  });

  it('without the persistent cache (KILN_RENDER_CACHE=off) every cluster renders again', async () => {
    process.env.KILN_RENDER_CACHE = 'off';
    try {
      const { actions, stderr } = await publish();
      expect(count(actions, 'unchanged')).toBe(8);
      expect(stderr).not.toContain('already hold');
      expect(tools.take().jsonnet).toBe(8);
    } finally {
      delete process.env.KILN_RENDER_CACHE;
    }
  });

  it('kiln diff against the published branches renders only clusters whose remembered render differs; same report as without', async () => {
    const values = path.join(repo.fleet, 'values/gateway/prod.yaml');
    const before = readFileSync(values, 'utf8');
    writeFileSync(values, before.replace('maxReplicas: 41', 'maxReplicas: 42'));
    try {
      const r = await kiln('diff', '--cwd', repo.fleet, '--json', '--log-level', 'info');
      expect(r.code, r.stderr).toBe(0);
      const calls = tools.take();
      expect(calls.jsonnet).toBe(0);
      const m = /(\d+) cluster\(s\) unchanged against their branches \(remembered renders\); rendering (\d+)/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      const report = JSON.parse(r.stdout) as { totals: { clusters: number; changedClusters: number } };
      expect(report.totals.changedClusters).toBeGreaterThan(0);
      expect(report.totals.clusters).toBe(8);
      expect(Number(m![2])).toBe(report.totals.changedClusters);
      expect(Number(m![1]) + Number(m![2])).toBe(8);
      expect(Number(m![1])).toBeGreaterThan(0);
      // the commit facts told what every head deploys: only the branches of the clusters rendered were fetched
      const fetched = (stderr: string) => /fetch base \(published branches of [^)]*\): done, (\d+) of (\d+) cluster branch\(es\)/.exec(stderr)?.slice(1, 3).map(Number);
      expect(fetched(r.stderr), r.stderr).toEqual([Number(m![2]), Number(m![2])]);
      // without the facts (a cache that lost them): every branch is fetched first, the same clusters skipped, the same report
      const facts = path.join(process.env.KILN_CACHE_DIR!, 'commits');
      const kept = path.join(base, 'commits-kept');
      renameSync(facts, kept);
      try {
        const unknown = await kiln('diff', '--cwd', repo.fleet, '--json', '--log-level', 'info');
        expect(unknown.code, unknown.stderr).toBe(0);
        expect(fetched(unknown.stderr)).toEqual([8, 8]);
        expect(unknown.stderr).toContain(`${m![1]} cluster(s) unchanged against their branches (remembered renders); rendering ${m![2]}`);
        expect(JSON.parse(unknown.stdout)).toEqual(JSON.parse(r.stdout));
      } finally {
        rmSync(facts, { recursive: true, force: true });
        renameSync(kept, facts);
      }
      process.env.KILN_RENDER_CACHE = 'off';
      try {
        const plain = await kiln('diff', '--cwd', repo.fleet, '--json', '--log-level', 'info');
        expect(plain.code, plain.stderr).toBe(0);
        expect(plain.stderr).not.toContain('remembered renders');
        expect(JSON.parse(plain.stdout)).toEqual(JSON.parse(r.stdout));
      } finally {
        delete process.env.KILN_RENDER_CACHE;
      }
    } finally {
      writeFileSync(values, before);
      tools.take();
    }
  });

  it('a source commit that changes nothing deployed keeps the key; a tool version, a patch or the output path change it', async () => {
    const { config } = await loadConfig({ cwd: repo.fleet });
    const plan = planFleet(config)[0]!;
    const hashes = new Map(plan.profiles.flatMap((p) => p.components.map((c) => [`${p.name}/${c.name}`, `sha256:${c.name}`] as const)));
    const tools = { helm: { name: 'helm' as const, path: '/x/helm', version: 'v3.22.0' } };
    const key = clusterKey(plan, hashes, { kilnVersion: '1.0.0', tools });
    writeFileSync(path.join(repo.fleet, 'NOTES.md'), 'unrelated\n');
    repo.commit('an unrelated change');
    const replanned = planFleet((await loadConfig({ cwd: repo.fleet })).config)[0]!;
    expect(replanned).not.toBe(plan);
    expect(clusterKey(replanned, new Map(hashes), { kilnVersion: '1.0.0', tools })).toBe(key);
    const [first] = hashes.keys();
    expect(clusterKey(plan, new Map([...hashes, [first!, 'sha256:other']]), { kilnVersion: '1.0.0', tools })).not.toBe(key);
    expect(clusterKey(plan, hashes, { kilnVersion: '1.0.1', tools })).not.toBe(key);
    expect(clusterKey(plan, hashes, { kilnVersion: '1.0.0', tools: { helm: { ...tools.helm, version: 'v3.22.1' } } })).not.toBe(key);
    expect(clusterKey({ ...plan, outputPath: 'other' }, hashes, { kilnVersion: '1.0.0', tools })).not.toBe(key);
    const patched = { ...plan, cluster: { ...plan.cluster, patches: [...plan.cluster.patches, { patch: [{ op: 'add', path: '/metadata/labels/x', value: 'y' }] }] } };
    expect(clusterKey(patched, hashes, { kilnVersion: '1.0.0', tools })).not.toBe(key);
    const profile = plan.profiles[0]!;
    expect(clusterKey({ ...plan, profiles: [{ ...profile, allowSecrets: true }, ...plan.profiles.slice(1)] }, hashes, { kilnVersion: '1.0.0', tools })).not.toBe(key);
    // a run computes a plan's key once: the skip decision before the render and the entry after it use that one
    const run = { kilnVersion: '1.0.0', tools, memo: new RunMemo() };
    expect(clusterKeyOnce(plan, hashes, run)).toBe(key);
    expect(clusterKeyOnce(plan, new Map([...hashes, [first!, 'sha256:other']]), run)).toBe(key);
    expect(clusterKeyOnce(replanned, new Map([...hashes, [first!, 'sha256:other']]), run)).not.toBe(key);
  });

  it('memo and commit facts: round trip across runs; corrupt or malformed entries are misses', async () => {
    const dir = mkdtempSync(path.join(base, 'unit-'));
    const key = 'a'.repeat(64);
    const memo = diskClusterMemo(dir, 30);
    await memo.put(key, { content: 'b'.repeat(40), warnings: [{ message: 'profile x overrides y' }] });
    expect(await memo.get(key)).toEqual({ content: 'b'.repeat(40), warnings: [{ message: 'profile x overrides y' }] });
    expect(await memo.get('c'.repeat(64))).toBeUndefined();
    // the next run sees it once this one flushed, not before
    expect(await diskClusterMemo(dir, 30).get(key)).toBeUndefined();
    memo.flush();
    expect(await diskClusterMemo(dir, 30).get(key)).toEqual({ content: 'b'.repeat(40), warnings: [{ message: 'profile x overrides y' }] });
    const packs = () => readdirSync(path.join(dir, 'clusters')).filter((f) => f.endsWith('.pack'));
    expect(packs()).toHaveLength(1);
    // a malformed value, then a line that is not JSON, in a later pack: the first is a miss, the second skipped
    writeFileSync(path.join(dir, 'clusters', 'zzzzzzzzz-1-00000000.pack'), `${JSON.stringify([key, Date.now(), { content: 'not-an-id', warnings: [] }])}\n{ not json\n`);
    expect(await diskClusterMemo(dir, 30).get(key)).toBeUndefined();

    const facts = diskCommitFacts(dir, 30);
    const commit = 'e'.repeat(40);
    await facts.put(commit, { content: 'f'.repeat(40), sourceCommit: '1'.repeat(40) });
    await facts.put('../../etc/passwd', { content: 'f'.repeat(40), sourceCommit: undefined });
    expect(await facts.get(commit)).toEqual({ content: 'f'.repeat(40), sourceCommit: '1'.repeat(40) });
    expect(await facts.get('../../etc/passwd')).toBeUndefined();
    facts.flush();
    expect(await diskCommitFacts(dir, 30).get(commit)).toEqual({ content: 'f'.repeat(40), sourceCommit: '1'.repeat(40) });
    writeFileSync(path.join(dir, 'commits', 'zzzzzzzzz-1-00000000.pack'), `${JSON.stringify([commit, Date.now(), { content: 'not-an-id' }])}\n`);
    expect(await diskCommitFacts(dir, 30).get(commit)).toBeUndefined();
  });
});

describe('cluster memo on shared branches', () => {
  it('clusters sharing a branch always render (the branch is their merged tree)', async () => {
    const src = path.join(base, 'shared-src');
    writeBenchFleet(src, 4);
    const kilnYaml = path.join(src, 'kiln.yaml');
    writeFileSync(kilnYaml, readFileSync(kilnYaml, 'utf8').replace(/branch: .*\n/, 'branch: "env/{{ .Cluster.environment }}"\n').replace(/path: .*\n/, 'path: "clusters/{{ .Cluster.name }}"\n'));
    const shared = makeFleetRepo(src);
    try {
      const run = async () => {
        const r = await kiln('publish', '--cwd', shared.fleet, '--json', '--log-level', 'info');
        expect(r.code, r.stderr).toBe(0);
        return { out: JSON.parse(r.stdout) as Published, stderr: r.stderr };
      };
      await run();
      const again = await run();
      expect(again.out.branches.length).toBeLessThan(4);
      expect(again.out.branches.every((b) => b.action === 'unchanged')).toBe(true);
      // exactly the clusters on branches of their own were skipped
      const { config } = await loadConfig({ cwd: shared.fleet });
      const perBranch = new Map<string, number>();
      for (const p of planFleet(config)) perBranch.set(p.branch, (perBranch.get(p.branch) ?? 0) + 1);
      const alone = [...perBranch.values()].filter((n) => n === 1).length;
      expect(alone).toBeLessThan(perBranch.size);
      expect(again.stderr).toContain(`${alone} branch(es) already hold what their clusters render (remembered renders); rendering ${4 - alone} cluster(s)`);
    } finally {
      shared.cleanup();
    }
  });
});
