/**
 * The git author of rendered commits: GIT_AUTHOR_* / GIT_COMMITTER_* (names, emails, dates) are
 * respected as `git commit` would; otherwise kiln <kiln@kiln.invalid>, whatever the system or the
 * user's git config says (identity is never taken from git config).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';

const VARS = ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE', 'GIT_CONFIG_SYSTEM', 'HOME'];
const BRANCH = 'rendered/dev/dev-c0000';

describe('the author of rendered commits', () => {
  let repo: FleetRepo;
  let home: string;
  const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 1, envs: ['dev'] }));
    // a system and a user git config naming someone else: neither may decide who commits
    home = mkdtempSync(path.join(os.tmpdir(), 'kiln-home-'));
    writeFileSync(path.join(home, 'system.gitconfig'), '[user]\n\tname = System Person\n\temail = system@example.invalid\n');
    writeFileSync(path.join(home, '.gitconfig'), '[user]\n\tname = Home Person\n\temail = home@example.invalid\n');
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
    repo.cleanup();
  });
  const last = () => gitIn(repo.remote, 'log', '-1', '--format=%an|%ae|%at|%ai|%cn|%ce|%ct', BRANCH).split('|');

  it('GIT_AUTHOR_* and GIT_COMMITTER_* are respected, dates included', async () => {
    Object.assign(process.env, {
      GIT_AUTHOR_NAME: 'Release Bot',
      GIT_AUTHOR_EMAIL: 'bot@example.invalid',
      GIT_AUTHOR_DATE: '1700000000 +0100',
      GIT_COMMITTER_NAME: 'CI',
      GIT_COMMITTER_EMAIL: 'ci@example.invalid',
      GIT_COMMITTER_DATE: '2024-01-02T03:04:05Z',
    });
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code, r.stderr).toBe(0);
    const [an, ae, at, ai, cn, ce, ct] = last();
    expect([an, ae, at, cn, ce, ct]).toEqual(['Release Bot', 'bot@example.invalid', '1700000000', 'CI', 'ci@example.invalid', String(Date.parse('2024-01-02T03:04:05Z') / 1000)]);
    expect(ai).toMatch(/\+0100$/);
  });

  it('unset: kiln <kiln@kiln.invalid>, never the system or the user git config', async () => {
    for (const k of VARS) delete process.env[k];
    Object.assign(process.env, { GIT_CONFIG_SYSTEM: path.join(home, 'system.gitconfig'), HOME: home });
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    const before = Math.floor(Date.now() / 1000);
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code, r.stderr).toBe(0);
    const [an, ae, at, , cn, ce] = last();
    expect([an, ae, cn, ce]).toEqual(['kiln', 'kiln@kiln.invalid', 'kiln', 'kiln@kiln.invalid']);
    expect(Number(at)).toBeGreaterThanOrEqual(before - 1);
  });

  it('a date git would not read is a one-line error naming the variable', async () => {
    process.env.GIT_AUTHOR_DATE = 'next tuesday';
    setGenVersion(repo.fleet, '3');
    repo.commit('v3');
    const head = gitIn(repo.remote, 'rev-parse', BRANCH);
    const r = await kiln('publish', '--cwd', repo.fleet);
    delete process.env.GIT_AUTHOR_DATE;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: GIT_AUTHOR_DATE="next tuesday" is not a date git reads/m);
    expect(gitIn(repo.remote, 'rev-parse', BRANCH)).toBe(head);
  });
});
