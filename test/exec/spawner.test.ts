/**
 * Programs run through kiln's spawner process behave as when spawned directly: output, exit codes,
 * missing programs, the env allowlist, timeouts that kill the whole process group — and a kiln that
 * dies (even of SIGKILL) takes its running programs with it, while an idle spawner never keeps kiln alive.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecError, run } from '../../src/exec/exec.js';
import { ExecScope } from '../../src/exec/scope.js';
import { closeSpawner } from '../../src/exec/spawner.js';
import { projectRoot } from '../helpers/fleet-repo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-spawner-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

async function both<T>(fn: () => Promise<T>): Promise<[T, T]> {
  const via = await fn();
  process.env.KILN_SPAWNER = 'off';
  try {
    return [via, await fn()];
  } finally {
    delete process.env.KILN_SPAWNER;
  }
}

const failure = async (p: Promise<unknown>): Promise<ExecError> => {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ExecError);
    return e as ExecError;
  }
  throw new Error('expected a failure');
};

const alive = (pid: number) => spawnSync('kill', ['-0', String(pid)]).status === 0;
async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (!alive(pid)) return true;
  return false;
}

describe('spawner', () => {
  it('gives the same output, stdin and env allowlist as a direct spawn', async () => {
    process.env.KILN_SPAWNER_TEST_SECRET = 'must-not-pass';
    try {
      const [via, direct] = await both(() => run('sh', ['-c', 'cat; echo "[$KILN_SPAWNER_TEST_SECRET] [$EXTRA] ünï"; echo warn >&2'], { input: 'in\n', env: { EXTRA: 'x' } }));
      expect(via).toEqual(direct);
      expect(via.stdout).toBe('in\n[] [x] ünï\n');
      expect(via.stderr).toBe('warn\n');
    } finally {
      delete process.env.KILN_SPAWNER_TEST_SECRET;
    }
  });

  it('reports a failing program and a missing one exactly as a direct spawn does', async () => {
    const [via, direct] = await both(() => failure(run('sh', ['-c', 'echo partial; echo "bad thing" >&2; exit 3'])));
    expect([via.message, via.exitCode_, via.stderr, via.stdout, via.timedOut]).toEqual([direct.message, direct.exitCode_, direct.stderr, direct.stdout, direct.timedOut]);
    expect(via.message).toContain('exited with code 3: bad thing');
    const [m1, m2] = await both(() => failure(run(path.join(base, 'no-such-tool'), ['x'])));
    expect(m1.message).toBe(m2.message);
    expect(m1.message).toContain('executable not found');
  });

  it('a timeout kills the program and everything it started', async () => {
    const pidFile = path.join(base, 'bg.pid');
    const e = await failure(run('sh', ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], { timeoutMs: 300 }));
    expect(e.timedOut).toBe(true);
    expect(e.message).toContain('timed out');
    expect(await gone(Number(readFileSync(pidFile, 'utf8')))).toBe(true);
  });

  it('output past the limit fails the run instead of filling memory', async () => {
    const e = await failure(run('sh', ['-c', 'yes | head -c 200000'], { maxBuffer: 1000 }));
    expect(e.stderr).toContain('stdout went past 1000 bytes');
  });

  it('kiln killed with SIGKILL takes its running programs with it; an idle spawner lets kiln exit', async () => {
    const pidFile = path.join(base, 'tool.pid');
    const doneFile = path.join(base, 'done');
    const script = path.join(base, 'kiln-like.mjs');
    const exec = path.join(projectRoot, 'dist/exec/exec.js');
    const spawner = path.join(projectRoot, 'dist/exec/spawner.js');
    expect(existsSync(exec), 'npm test builds dist/ first').toBe(true);
    writeFileSync(
      script,
      `import { run } from ${JSON.stringify(exec)};
       await run('true', []);
       if (process.argv[2] === 'hang') await run('sh', ['-c', 'echo $$ > ${pidFile}; exec sleep 30']);
       else (await import('node:fs')).writeFileSync(${JSON.stringify(doneFile)}, 'ok');
       // as bin/kiln.js ends: reap the (idle, unref'd) spawner; this must not leave the await unsettled (exit 13)
       await (await import(${JSON.stringify(spawner)})).closeSpawner();`,
    );
    // idle: exits on its own right after its last program, with its programs' CPU time accounted
    const quick = spawnSync(process.execPath, [script], { timeout: 10_000 });
    expect(quick.status, String(quick.stderr)).toBe(0);
    expect(readFileSync(doneFile, 'utf8')).toBe('ok');

    const kilnLike = spawn(process.execPath, [script, 'hang'], { stdio: 'ignore' });
    for (const end = Date.now() + 10_000; !existsSync(pidFile) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
    const tool = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(tool)).toBe(true);
    kilnLike.kill('SIGKILL');
    expect(await gone(tool)).toBe(true);
  });
});

describe('a render session\'s spawner helper', () => {
  // the direct children of this test process, from the kernel (spawn() returns once the child exists)
  const children = (): string[] =>
    readdirSync('/proc/self/task').flatMap((t) => {
      try {
        return readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      } catch {
        return [];
      }
    });

  it('starts on warm() or the first program, not when the scope is made (a run that renders nothing starts none), and is the one git uses', async () => {
    await closeSpawner(); // the helper earlier tests of this file started
    const before = new Set(children());
    const fresh = () => children().filter((pid) => !before.has(pid));
    const idle = new ExecScope();
    expect(fresh()).toEqual([]);
    await idle.close();
    expect(fresh()).toEqual([]);
    const warmed = new ExecScope();
    warmed.warm();
    const helper = fresh();
    expect(helper).toHaveLength(1);
    await warmed.close();
    // a later session, and a call outside any session, go through that same helper: kiln forks once per run
    const used = new ExecScope();
    expect((await used.run('sh', ['-c', 'echo $PPID'])).stdout.trim()).toBe(helper[0]);
    await used.close();
    expect((await run('sh', ['-c', 'echo $PPID'])).stdout.trim()).toBe(helper[0]);
    expect(fresh()).toEqual(helper);
    await closeSpawner();
    expect(fresh()).toEqual([]);
  });
});
