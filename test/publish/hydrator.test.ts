/**
 * spec.output.hydrator: kiln publishes in Argo CD Source Hydrator's layout so GitOps Promoter can
 * promote: hydrated commits on `<branch>-next` (started from the active branch, so the promoter's PR
 * merges), `hydrator.metadata` at the root with the dry commit and its Argocd-reference-commit-*
 * trailers as `references`; a dry commit that renders the same objects makes no commit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { referencesOf } from '../../src/publish/hydrator.js';
import { kiln } from '../helpers/cli.js';
import { branchFiles, gitIn, remoteBranches, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ENV_CLUSTERS, branchOf, promoteFleet } from '../promote/helpers.js';

const ALL = [...ENV_CLUSTERS.dev!, ...ENV_CLUSTERS.staging!, ...ENV_CLUSTERS.prod!];

/** The dry commit Argo CD's note (refs/notes/hydrator.metadata, `{"drySha"}`) gives a commit of the remote. */
const notedDrySha = (remote: string, commit: string) => (JSON.parse(gitIn(remote, 'notes', '--ref=hydrator.metadata', 'show', commit)) as { drySha: string }).drySha;

describe('spec.output.hydrator (Argo CD Source Hydrator layout for GitOps Promoter)', () => {
  let repo: FleetRepo;
  let active: Map<string, string>;
  beforeAll(async () => {
    repo = promoteFleet();
    // the active branches exist (kiln published them before the fleet adopted the promoter)
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
    active = remoteBranches(repo.remote);
    appendFileSync(path.join(repo.fleet, 'kiln.yaml'), '  output:\n    hydrator: true\n');
    gitIn(repo.fleet, 'add', '-A');
    const msg = [
      'adopt gitops-promoter',
      '',
      'Why: PRs per environment.',
      '',
      'Argocd-reference-commit-repourl: https://git.example.com/app.git',
      'Argocd-reference-commit-author: App Dev <dev@example.com>',
      'Argocd-reference-commit-sha: 0123456789abcdef0123456789abcdef01234567',
      'Argocd-reference-commit-subject: bump app to 1.2.3',
      'Argocd-reference-commit-body: "line one\\nline two"',
      'Argocd-reference-commit-date: not-a-date',
    ].join('\n');
    gitIn(repo.fleet, 'commit', '-q', '--author', 'Dry Author <dry@example.com>', '-m', msg);
    gitIn(repo.fleet, 'update-ref', 'refs/remotes/origin/main', 'HEAD'); // stands for the push (as FleetRepo.commit)
  });
  afterAll(() => repo?.cleanup());

  it('publishes <branch>-next from the active branch, with the dry commit in hydrator.metadata; the active branches stay', async () => {
    const sha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    const r = await kiln('publish', '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { branches: Array<{ branch: string; action: string }> };
    expect(out.branches.map((b) => [b.branch, b.action])).toEqual(ALL.map((c) => [`${branchOf(c)}-next`, 'created']).sort());
    const now = remoteBranches(repo.remote);
    for (const [b, c] of active) expect(now.get(b), b).toBe(c);
    for (const c of ALL) {
      const next = `${branchOf(c)}-next`;
      // its first commit sits on the active head: the promoter's PR is a fast-forward
      expect(gitIn(repo.remote, 'rev-parse', `${next}^`)).toBe(active.get(branchOf(c)));
      expect(branchFiles(repo.remote, next)).toContain('hydrator.metadata');
      const text = showFile(repo.remote, next, 'hydrator.metadata');
      const meta = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(meta)).toEqual(['repoURL', 'drySha', 'author', 'date', 'subject', 'body', 'references']);
      expect(meta.drySha).toBe(sha);
      expect(meta.repoURL).toMatch(/remote\.git$/);
      expect(meta.author).toBe('Dry Author <dry@example.com>');
      expect(meta.date).toBe(gitIn(repo.fleet, 'show', '-s', '--format=%aI', sha).replace(/\+00:00$/, 'Z'));
      expect(meta.subject).toBe('adopt gitops-promoter');
      // valid reference trailers leave the body; the bad date stays in it, as Argo CD keeps it
      expect(meta.body).toBe('Why: PRs per environment.\n\nArgocd-reference-commit-date: not-a-date\n');
      expect(meta.references).toEqual([
        { commit: { author: 'App Dev <dev@example.com>', subject: 'bump app to 1.2.3', body: 'line one\nline two', sha: '0123456789abcdef0123456789abcdef01234567', repoUrl: 'https://git.example.com/app.git' } },
      ]);
      // Go's json.Encoder with two-space indent: a final newline, no HTML escaping
      expect(text.endsWith('}\n')).toBe(true);
      expect(text).toContain('"App Dev <dev@example.com>"');
      expect(notedDrySha(repo.remote, now.get(next)!)).toBe(sha);
    }
  });

  it('a dry commit rendering the same objects makes no commit; a change moves only the changed -next branches', async () => {
    const before = remoteBranches(repo.remote);
    const empty = repo.commit('nothing to render');
    let r = await kiln('publish', '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(remoteBranches(repo.remote)).toEqual(before);
    // no commit, but the note says the proposed branches are hydrated at the new dry commit
    for (const c of ALL) expect(notedDrySha(repo.remote, before.get(`${branchOf(c)}-next`)!)).toBe(empty);

    setGenVersion(repo.fleet, '2');
    const sha = repo.commit('version 2');
    r = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev', '--json');
    expect(r.code, r.stderr).toBe(0);
    const now = remoteBranches(repo.remote);
    for (const c of ALL) {
      const next = `${branchOf(c)}-next`;
      if (c.startsWith('dev-')) {
        expect(now.get(next)).not.toBe(before.get(next));
        expect(gitIn(repo.remote, 'rev-parse', `${next}^`)).toBe(before.get(next));
        expect(JSON.parse(showFile(repo.remote, next, 'hydrator.metadata')).drySha).toBe(sha);
        expect(notedDrySha(repo.remote, now.get(next)!)).toBe(sha);
      } else {
        expect(now.get(next)).toBe(before.get(next));
        expect(notedDrySha(repo.remote, now.get(next)!)).toBe(empty); // not published by this --env dev run
      }
      expect(now.get(branchOf(c))).toBe(active.get(branchOf(c))); // only the promoter moves active branches
    }
    // no -next branch is taken for an orphan of the fleet
    expect(r.stderr).not.toContain('rendered by no cluster');
  });

  it("a promoter's merge commit on -next (no kiln trailer) is ordered by its hydrator.metadata, not refused", async () => {
    // what GitOps Promoter's conflict handling pushes: `merge -s ours` of the active branch into -next
    const next = `${branchOf('staging-c0001')}-next`;
    const head = gitIn(repo.remote, 'rev-parse', next);
    const merge = gitIn(repo.remote, 'commit-tree', `${head}^{tree}`, '-p', head, '-p', gitIn(repo.remote, 'rev-parse', branchOf('staging-c0001')), '-m', `Merge branch '${branchOf('staging-c0001')}' into ${next}`);
    gitIn(repo.remote, 'update-ref', `refs/heads/${next}`, merge);
    setGenVersion(repo.fleet, '3');
    const sha = repo.commit('version 3');
    const r = await kiln('publish', '--cwd', repo.fleet, '--env', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { branches: Array<{ branch: string; action: string }> };
    expect(out.branches.find((b) => b.branch === next)?.action).toBe('updated');
    expect(gitIn(repo.remote, 'rev-parse', `${next}^`)).toBe(merge);
    expect(JSON.parse(showFile(repo.remote, next, 'hydrator.metadata')).drySha).toBe(sha);
  });

  it("status and report read what a promoter-merged active branch runs from its hydrator.metadata", async () => {
    // the promoter merges the pull request -next → active with a merge commit (no kiln trailer)
    const active = branchOf('staging-c0001');
    const next = `${active}-next`;
    const merged = gitIn(repo.remote, 'commit-tree', `${gitIn(repo.remote, 'rev-parse', next)}^{tree}`, '-p', gitIn(repo.remote, 'rev-parse', active), '-p', gitIn(repo.remote, 'rev-parse', next), '-m', 'Merge pull request #1');
    gitIn(repo.remote, 'update-ref', `refs/heads/${active}`, merged);
    const dry = JSON.parse(showFile(repo.remote, next, 'hydrator.metadata')).drySha as string;
    const st = JSON.parse((await kiln('status', '--cwd', repo.fleet, '--json')).stdout) as { environments: Array<{ clusters: Array<{ cluster: string; renderedCommit?: string; sourceCommit?: string }> }> };
    const c = st.environments.flatMap((e) => e.clusters).find((x) => x.cluster === 'staging-c0001')!;
    expect(c).toMatchObject({ renderedCommit: merged, sourceCommit: dry });
    const out = mkdtempSync(path.join(os.tmpdir(), 'kiln-hydrator-report-'));
    try {
      expect((await kiln('report', '--cwd', repo.fleet, '--out', out)).code).toBe(0);
      const data = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as { clusters: Array<{ name: string; sourceCommit?: string }> };
      expect(data.clusters.find((x) => x.name === 'staging-c0001')?.sourceCommit).toBe(dry);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('kiln promote leaves promotion to GitOps Promoter', async () => {
    const r = await kiln('promote', '--cwd', repo.fleet, '--to', 'staging');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('GitOps Promoter');
  });

  it('referencesOf keeps a body without reference trailers as it is', () => {
    expect(referencesOf('plain body\n')).toEqual({ body: 'plain body\n' });
    expect(referencesOf('Argocd-reference-commit-sha: XYZ\n')).toEqual({ body: 'Argocd-reference-commit-sha: XYZ\n' });
  });
});
