import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ENV_CLUSTERS, branchOf, carried, headMessage, metaCommit, promoteFleet } from './helpers.js';

const CM = 'manifests/base/base--configmap--settings.yaml';

describe('kiln promote dev → staging → prod (real git)', () => {
  let repo: FleetRepo;
  let a: string;
  let b: string;
  beforeAll(() => {
    repo = promoteFleet();
    a = gitIn(repo.fleet, 'rev-parse', 'HEAD');
  });
  afterAll(() => repo.cleanup());
  const run = (...args: string[]) => kiln(...args, '--cwd', repo.fleet, '--json');

  it('promotes what dev runs into staging, then prod, each environment on one source commit', async () => {
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    // the user's newer, uncommitted edit must not leak into the promotion: it renders from history
    setGenVersion(repo.fleet, 'uncommitted');
    const dry = await run('promote', '--to', 'staging', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).branches.map((x: { action: string }) => x.action)).toEqual(['created', 'created']);
    expect([...remoteBranches(repo.remote).keys()].some((k) => k.startsWith('rendered/staging/'))).toBe(false);

    const r = await run('promote', '--to', 'staging');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.from).toBe('dev');
    expect(out.sourceCommit).toBe(a);
    for (const c of ENV_CLUSTERS.staging!) {
      expect(carried(repo, c)).toBe(a);
      expect(metaCommit(repo, c)).toBe(a);
      expect(showFile(repo.remote, branchOf(c), CM)).toContain('version: "1"');
      expect(headMessage(repo, branchOf(c))).toContain('Kiln-Promoted-From: dev');
    }
    expect(gitIn(repo.fleet, 'status', '--porcelain')).toMatch(/base\/objects.yaml/); // work tree left as it was
    gitIn(repo.fleet, 'checkout', '--', 'base/objects.yaml');

    const p = await run('promote', '--from', 'staging', '--to', 'prod');
    expect(p.code, p.stderr).toBe(0);
    for (const c of ENV_CLUSTERS.prod!) expect(carried(repo, c)).toBe(a);
  });

  it('promoting again changes nothing; a new dev commit moves staging only, and status shows the lag', async () => {
    const before = remoteBranches(repo.remote);
    const again = await run('promote', '--to', 'staging');
    expect(again.code, again.stderr).toBe(0);
    expect(remoteBranches(repo.remote)).toEqual(before);

    setGenVersion(repo.fleet, '2');
    b = repo.commit('v2');
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    const s1 = JSON.parse((await run('status')).stdout);
    const env = (n: string) => s1.environments.find((e: { name: string }) => e.name === n);
    expect(env('dev').clusters.map((c: { behind: number }) => c.behind)).toEqual([0, 0]);
    expect(env('staging').reference).toEqual({ name: 'dev', commit: b });
    expect(env('staging').clusters.map((c: { behind: number; sourceCommit: string }) => [c.sourceCommit, c.behind])).toEqual([[a, 1], [a, 1]]);

    const r = await run('promote', '--to', 'staging');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).changes.map((c: { changed: number; added: number }) => [c.changed, c.added])).toEqual([[1, 0], [1, 0]]);
    for (const c of ENV_CLUSTERS.staging!) {
      expect(carried(repo, c)).toBe(b);
      expect(showFile(repo.remote, branchOf(c), CM)).toContain('version: "2"');
      expect(gitIn(repo.remote, 'rev-list', '--count', branchOf(c))).toBe('2');
    }
    for (const c of ENV_CLUSTERS.prod!) expect(carried(repo, c)).toBe(a);
    const text = await kiln('status', '--cwd', repo.fleet);
    expect(text.stdout).toMatch(/prod \(compared with staging [0-9a-f]{12}\)\n\s+prod-c0002\s+[0-9a-f]{12}\s+1 behind/);
    expect(text.stdout).toMatch(/staging-c0001\s+[0-9a-f]{12}\s+up to date/);
  });

  it('refuses a rollback without --allow-rollback, and says so when allowed', async () => {
    // a hotfix published straight to prod: prod now runs something newer than staging
    setGenVersion(repo.fleet, '3-hotfix');
    const hot = repo.commit('hotfix');
    expect((await run('publish', '--env', 'prod')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    const r = await run('promote', '--to', 'prod');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/rendered\/prod\/prod-c0002 carries [0-9a-f]{12}.*newer than [0-9a-f]{12}: promoting would roll back \(pass --allow-rollback/);
    expect(remoteBranches(repo.remote)).toEqual(before);

    const ok = await run('promote', '--to', 'prod', '--allow-rollback');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/rolling back from [0-9a-f]{12} to [0-9a-f]{12}/);
    expect(JSON.parse(ok.stdout).rollback.map((x: { from: string }) => x.from)).toEqual([hot, hot]);
    for (const c of ENV_CLUSTERS.prod!) {
      expect(carried(repo, c)).toBe(b);
      expect(showFile(repo.remote, branchOf(c), CM)).toContain('version: "2"');
    }
  });
});

describe('dev clusters that carry different source commits', () => {
  let repo: FleetRepo;
  beforeAll(() => {
    repo = promoteFleet();
  });
  afterAll(() => repo.cleanup());
  const run = (...args: string[]) => kiln(...args, '--cwd', repo.fleet, '--json');

  it('agree when the newer commit renders what the older cluster runs (provenance-only difference)', async () => {
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    // a profile for dev-c0003 only: dev-c0000 keeps its objects, so publish leaves it at the old commit
    const extra = 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: extra\nspec:\n  clusters: [dev-c0003]\n  namespace: extra\n  components:\n    - name: extra\n      manifests:\n        paths: [base]\n';
    writeFileSync(`${repo.fleet}/profiles/extra.yaml`, extra);
    const c = repo.commit('extra for dev-c0003');
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    expect(carried(repo, 'dev-c0003')).toBe(c);
    expect(carried(repo, 'dev-c0000')).not.toBe(c);
    // publish noted c on dev-c0000's head (refs/notes/kiln); without the note (a branch published
    // by an older kiln) promote must verify the provenance-only difference by rendering
    expect(gitIn(repo.remote, 'notes', '--ref=refs/notes/kiln', 'show', remoteBranches(repo.remote).get(branchOf('dev-c0000'))!)).toBe(`Kiln-Source-Commit: ${c}`);
    gitIn(repo.remote, 'update-ref', '-d', 'refs/notes/kiln');

    const r = await run('promote', '--to', 'staging');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sourceCommit).toBe(c);
    expect(out.carried[branchOf('dev-c0000')]).not.toBe(c);
    for (const k of ENV_CLUSTERS.staging!) expect(carried(repo, k)).toBe(c);
  });

  it('refuses when they really run different objects, listing which cluster carries what; --source must fit all', async () => {
    setGenVersion(repo.fleet, '2');
    const v2 = repo.commit('v2');
    expect((await run('publish', '--cluster', 'dev-c0003')).code).toBe(0);
    const before = remoteBranches(repo.remote);
    const r = await run('promote', '--to', 'staging');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused: dev clusters disagree: dev-c0000 @ [0-9a-f]{12} run objects that [0-9a-f]{12} \(carried by rendered\/dev\/dev-c0003\) renders differently/);
    const old = await run('promote', '--to', 'staging', '--source', 'HEAD~1');
    expect(old.code).toBe(3);
    expect(old.stderr).toMatch(/--source [0-9a-f]{12} is not at or after what dev carries: dev-c0003 @/);
    expect(remoteBranches(repo.remote)).toEqual(before);

    // once dev-c0000 runs v2 too, a later commit that renders the same (docs only) may be picked explicitly
    expect((await run('publish', '--env', 'dev')).code).toBe(0);
    writeFileSync(`${repo.fleet}/NOTES.md`, 'docs\n');
    const docs = repo.commit('docs only');
    const ok = await run('promote', '--to', 'staging', '--source', docs);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).sourceCommit).toBe(docs);
    for (const k of ENV_CLUSTERS.staging!) {
      expect(carried(repo, k)).toBe(docs);
      expect(showFile(repo.remote, branchOf(k), CM)).toContain('version: "2"');
    }
    expect(carried(repo, 'dev-c0000')).toBe(v2);
  });
});
