import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';

describe('publish against a remote that refuses', () => {
  let repo: FleetRepo;
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 6 }));
  });
  afterAll(() => repo.cleanup());

  const hook = (script: string) => {
    const p = path.join(repo.remote, 'hooks', 'pre-receive');
    writeFileSync(p, `#!/bin/sh\n${script}\n`);
    chmodSync(p, 0o755);
  };

  it('one refused branch fails the whole atomic push: no branch moves, the error says why', async () => {
    // refuse any update touching one cluster's branch; atomic means the other five must not land either
    hook('while read old new ref; do case "$ref" in *prod-c0002) echo "protected branch" >&2; exit 1;; esac; done; exit 0');
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: the remote refused the push: .*pre-receive hook declined/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(remoteBranches(repo.remote).size).toBe(0);
  });

  it('publishes once the remote accepts, and a later refusal leaves the published branches as they were', async () => {
    hook('exit 0');
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
    const before = remoteBranches(repo.remote);
    expect(before.size).toBe(6);
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    hook('echo "read-only today" >&2; exit 1');
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code).toBe(1);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('an unreachable remote is a one-line user error', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--remote', path.join(repo.dir, 'nowhere.git'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot read branches of remote .*nowhere\.git/m);
  });
});

describe('publish against a remote with a stale ref lock', () => {
  it('names the lock file a killed git left behind instead of blaming a concurrent publisher, and publishes once it is gone', async () => {
    const repo = makeFleetRepo(genFleetDir({ clusters: 3 }));
    try {
      // what a git receive-pack SIGKILLed between locking and committing a ref leaves on the remote
      const lock = path.join(repo.remote, 'refs', 'heads', 'rendered', 'staging', 'staging-c0001.lock');
      mkdirSync(path.dirname(lock), { recursive: true });
      writeFileSync(lock, '');
      const r = await kiln('publish', '--cwd', repo.fleet);
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`lock file(s) exist there: ${lock}`);
      expect(r.stderr).toMatch(/a git process killed in the middle of an update leaves its lock files behind/);
      expect(r.stderr).not.toMatch(/lost the push race/);
      expect(r.stderr).toMatch(/the remote holds lock file\(s\) for 3 ref update\(s\) .*retrying \(attempt 2 of 5\)/);
      expect(remoteBranches(repo.remote).size).toBe(0); // atomic: none of the three moved
      expect(existsSync(lock)).toBe(true); // kiln never deletes a lock on the remote
      rmSync(lock);
      expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
      expect(remoteBranches(repo.remote).size).toBe(3);
    } finally {
      repo.cleanup();
    }
  });
});
