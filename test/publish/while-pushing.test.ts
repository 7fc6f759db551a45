import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir, setGenVersion } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

// Once the clusters are rendered nothing reads the commit publish unpacked: it is removed while git
// pushes (the main thread waits on the push), not after it.
describe('publish while git pushes', () => {
  let repo: FleetRepo;
  let bin: string;
  let log: string;
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 6 }));
    bin = mkdtempSync(path.join(repo.dir, 'bin-'));
    log = path.join(repo.dir, 'push.log');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    // a push waits (up to 10 s) for the unpacked commit to go, then says whether it went
    writeFileSync(
      path.join(bin, 'git'),
      `#!/bin/sh\ncase " $* " in *" push "*)\n  i=0\n  while ls -d "$TMPDIR"/kiln-at-* >/dev/null 2>&1 && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done\n` +
        `  if ls -d "$TMPDIR"/kiln-at-* >/dev/null 2>&1; then echo present >> "${log}"; else echo gone >> "${log}"; fi;;\nesac\nexec "${real}" "$@"\n`,
    );
    chmodSync(path.join(bin, 'git'), 0o755);
  });
  afterAll(() => repo.cleanup());

  const publish = async (tmp: string) => {
    const r = await spawnKiln(['publish', '--cwd', repo.fleet, '--json'], { TMPDIR: tmp, PATH: `${bin}${path.delimiter}${process.env.PATH}` }).done;
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { branches: Array<{ action: string }> };
  };

  it('removes the unpacked commit during the push, and leaves nothing of it behind', async () => {
    for (const [i, version] of ['1', '2'].entries()) {
      // a TMPDIR of its own: no other test's unpacked commit is counted
      const tmp = path.join(repo.dir, `tmp-${i}`);
      mkdirSync(tmp);
      if (i > 0) {
        setGenVersion(repo.fleet, version);
        repo.commit(`version ${version}`);
      }
      const out = await publish(tmp);
      expect(out.branches.filter((b) => b.action === (i ? 'updated' : 'created'))).toHaveLength(6);
      expect(readdirSync(tmp).filter((d) => d.startsWith('kiln-at-'))).toEqual([]);
    }
    // one push per publish (atomic), each saw the unpacked commit gone before it went on
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['gone', 'gone']);
    expect(remoteBranches(repo.remote).size).toBe(6);
  });
});
