import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { branchFiles, gitIn, makeFleetRepo, remoteBranches, showFile, writeFile, type FleetRepo } from '../helpers/fleet-repo.js';

const CLUSTERS = ['dev-eu-1', 'dev-us-1', 'staging-eu-1', 'prod-eu-1', 'prod-us-1', 'prod-ap-1'];
const branchOf = (c: string) => `rendered/${c.split('-')[0]}/${c}`;

describe('kiln publish on the example fleet', () => {
  let repo: FleetRepo;
  beforeAll(() => {
    repo = makeFleetRepo();
  });
  afterAll(() => repo.cleanup());

  const publish = (...extra: string[]) => kiln('publish', '--cwd', repo.fleet, '--json', ...extra);

  it('dry-run prints the plan and pushes nothing', async () => {
    const r = await publish('--dry-run');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.branches.map((b: { action: string }) => b.action)).toEqual(CLUSTERS.map(() => 'created'));
    expect(remoteBranches(repo.remote).size).toBe(0);
  });

  it('first publish creates one branch per cluster with README, metadata and manifests only', async () => {
    const head = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    const branches = remoteBranches(repo.remote);
    expect([...branches.keys()].sort()).toEqual(CLUSTERS.map(branchOf).sort());
    for (const c of CLUSTERS) {
      const b = branchOf(c);
      const files = branchFiles(repo.remote, b);
      expect(files).toContain('README.md');
      expect(files).toContain('.kiln/metadata.yaml');
      for (const f of files) expect(f === 'README.md' || f === '.kiln/metadata.yaml' || f.startsWith('manifests/')).toBe(true);
      const meta = parse(showFile(repo.remote, b, '.kiln/metadata.yaml'));
      expect(meta.sourceCommit).toBe(head);
      expect(meta.cluster).toBe(c);
      expect(meta.objects).toBe(files.filter((f) => f.startsWith('manifests/')).length);
      const msg = gitIn(repo.remote, 'log', '-1', '--format=%B', b);
      expect(msg.split('\n')[0]).toBe(`render: ${head.slice(0, 12)} initial fleet`);
      expect(msg).toContain(`Kiln-Source-Commit: ${head}`);
      expect(msg).toMatch(/Kiln-Source-Repo: .+remote\.git/);
      expect(gitIn(repo.remote, 'rev-list', '--count', b)).toBe('1');
    }
    // the user's work tree and index are untouched
    expect(gitIn(repo.fleet, 'status', '--porcelain')).toBe('');
  });

  it('re-publishing without a change makes no commit', async () => {
    const before = remoteBranches(repo.remote);
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).branches.every((b: { action: string }) => b.action === 'unchanged')).toBe(true);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('a change to one profile moves only the branches it reaches', async () => {
    const before = remoteBranches(repo.remote);
    writeFile(repo.fleet, 'values/web/prod.yaml', 'resources:\n  requests:\n    cpu: 500m\n    memory: 512Mi\n');
    const sha = repo.commit('bigger web in prod');
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    const after = remoteBranches(repo.remote);
    for (const c of CLUSTERS) {
      const moved = after.get(branchOf(c)) !== before.get(branchOf(c));
      expect(moved, c).toBe(c.startsWith('prod-'));
      if (moved) {
        expect(gitIn(repo.remote, 'rev-parse', `${branchOf(c)}^`)).toBe(before.get(branchOf(c)));
        expect(parse(showFile(repo.remote, branchOf(c), '.kiln/metadata.yaml')).sourceCommit).toBe(sha);
      }
    }
    expect(showFile(repo.remote, branchOf('prod-eu-1'), 'manifests/web/web--deployment--web.yaml')).toContain('cpu: 500m');
  });

  it('deleting a profile removes its files from the branches', async () => {
    expect(branchFiles(repo.remote, branchOf('dev-eu-1')).some((f) => f.startsWith('manifests/team-app/'))).toBe(true);
    rmSync(path.join(repo.fleet, 'profiles/team-app.yaml'));
    repo.commit('drop team-app');
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    for (const c of CLUSTERS) expect(branchFiles(repo.remote, branchOf(c)).some((f) => f.startsWith('manifests/team-app/'))).toBe(false);
    const meta = parse(showFile(repo.remote, branchOf('dev-eu-1'), '.kiln/metadata.yaml'));
    expect(Object.keys(meta.profiles)).not.toContain('team-app');
  });

  it('deleting a cluster leaves its branch in place and reports it', async () => {
    const prodFile = path.join(repo.fleet, 'clusters/prod.yaml');
    const text = (await import('node:fs')).readFileSync(prodFile, 'utf8');
    writeFile(repo.fleet, 'clusters/prod.yaml', text.split('\n---\n').filter((d) => !d.includes('name: prod-ap-1')).join('\n---\n'));
    repo.commit('decommission prod-ap-1');
    const before = remoteBranches(repo.remote).get(branchOf('prod-ap-1'));
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.orphaned).toEqual([branchOf('prod-ap-1')]);
    expect(r.stderr).toMatch(/rendered\/prod\/prod-ap-1 is rendered by no cluster/);
    expect(remoteBranches(repo.remote).get(branchOf('prod-ap-1'))).toBe(before);
  });

  it('an older source commit never overwrites a newer render', async () => {
    const before = remoteBranches(repo.remote);
    gitIn(repo.fleet, 'checkout', '--quiet', 'HEAD~2'); // team-app still exists there
    try {
      const r = await publish();
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      const byBranch = Object.fromEntries(out.branches.map((b: { branch: string; action: string }) => [b.branch, b.action]));
      // the eu branches carry the newer "drop team-app" render: left alone, and said so
      for (const c of ['dev-eu-1', 'staging-eu-1', 'prod-eu-1']) expect(byBranch[branchOf(c)], c).toBe('skipped-older');
      expect(r.stderr).toMatch(/left alone, the branch already carries newer source commit/);
      expect(remoteBranches(repo.remote)).toEqual(before);
    } finally {
      gitIn(repo.fleet, 'checkout', '--quiet', 'main');
    }
  });

  it('only provenance changing (a new source commit with the same objects) makes no commit', async () => {
    const before = remoteBranches(repo.remote);
    writeFile(repo.fleet, 'NOTES.md', 'not part of any profile\n');
    repo.commit('docs only');
    const r = await publish();
    expect(r.code, r.stderr).toBe(0);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('refuses a dirty work tree unless told', async () => {
    writeFile(repo.fleet, 'values/web/common.yaml', 'image:\n  tag: "9.9.9"\n');
    const r = await publish();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 uncommitted change\(s\): M values\/web\/common\.yaml;.*--allow-dirty/);
    gitIn(repo.fleet, 'checkout', '--', '.');
  });

  it('publishes a previous render with --from', async () => {
    writeFile(repo.fleet, 'values/web/common.yaml', 'image:\n  tag: "2.8.0"\n');
    const sha = repo.commit('web 2.8.0');
    const out = path.join(repo.dir, 'out');
    const rendered = await kiln('render', '--cwd', repo.fleet, '--out', out, '--env', 'dev');
    expect(rendered.code, rendered.stderr).toBe(0);
    const r = await publish('--from', out, '--env', 'dev');
    expect(r.code, r.stderr).toBe(0);
    expect(parse(showFile(repo.remote, branchOf('dev-eu-1'), '.kiln/metadata.yaml')).sourceCommit).toBe(sha);
    expect(parse(showFile(repo.remote, branchOf('prod-eu-1'), '.kiln/metadata.yaml')).sourceCommit).not.toBe(sha);
  });
});
