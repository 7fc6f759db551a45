/**
 * Long-lived programs the spawner helper starts on a socket of kiln's (the render workers): they
 * are the helper's children, not kiln's; they talk over the socket as over pipes; killing one, even
 * before the helper named it, kills it; the helper's death ends them.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { AttachedProcess } from '../../src/exec/attached.js';
import { ExecError, run, runStreaming } from '../../src/exec/exec.js';
import { Spawner } from '../../src/exec/spawner.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-attached-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// says hello with its parent's pid, echoes each line back upper-cased, ends at the end of its input
const echo = path.join(dir, 'echo-worker');
writeFileSync(echo, '#!/bin/sh\necho "hello $PPID $T_VAR"\nwhile read line; do echo "$line" | tr a-z A-Z; done\necho bye\n');
chmodSync(echo, 0o755);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
};

function lines(a: AttachedProcess): { all: string[]; next: (n: number) => Promise<string[]> } {
  const all: string[] = [];
  let buf = '';
  a.stdout.setEncoding('utf8');
  a.stdout.on('data', (c: string) => {
    buf += c;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      all.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return { all, next: async (n) => (await vi.waitFor(() => expect(all.length).toBeGreaterThanOrEqual(n), { timeout: 10_000 }), all) };
}

const exited = (a: AttachedProcess) => new Promise<[number | null, string | null]>((r) => a.once('exit', (code, signal) => r([code, signal])));

describe('programs attached through the spawner helper', () => {
  it('are the helper\'s children, talk over the socket as over pipes, and end at the end of their input', async () => {
    const s = new Spawner();
    try {
      const a = s.attach(echo, { PATH: process.env.PATH ?? '', T_VAR: 'x' })!;
      const out = lines(a);
      const done = exited(a);
      // written before the helper started it: kept, then delivered in order
      a.stdin.write('one\n');
      a.stdin.write('two\n');
      await out.next(3);
      const [hello, ppid, v] = out.all[0]!.split(' ');
      expect([hello, v]).toEqual(['hello', 'x']);
      expect(Number(ppid)).not.toBe(process.pid); // forked by the helper, not by kiln
      expect(a.pid).toBeGreaterThan(0);
      expect(out.all.slice(1)).toEqual(['ONE', 'TWO']);
      a.stdin.end();
      expect(await done).toEqual([0, null]);
      await vi.waitFor(() => expect(out.all.at(-1)).toBe('bye'), { timeout: 10_000 });
      expect(alive(a.pid!)).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('killed before the helper named it, is killed the moment it is named', async () => {
    const s = new Spawner();
    try {
      const a = s.attach(echo, { PATH: process.env.PATH ?? '' })!;
      expect(a.pid).toBeUndefined();
      const done = exited(a);
      a.kill();
      expect(await done).toEqual([null, 'SIGKILL']);
      expect(a.pid).toBeGreaterThan(0);
      expect(alive(a.pid!)).toBe(false);
    } finally {
      await s.close();
    }
  });

  it('a program that cannot start reports an error and an exit; the helper dying ends the programs it started', async () => {
    const s = new Spawner();
    try {
      const missing = s.attach(path.join(dir, 'no-such-worker'), { PATH: '' })!;
      const errored = new Promise<Error>((r) => missing.once('error', r));
      const gone = exited(missing);
      expect((await errored as NodeJS.ErrnoException).code).toBe('ENOENT');
      await gone;

      const a = s.attach(echo, { PATH: process.env.PATH ?? '' })!;
      const out = lines(a);
      await out.next(1);
      const done = exited(a);
      const helper = Number(out.all[0]!.split(' ')[1]);
      process.kill(helper, 'SIGKILL');
      await done;
      await vi.waitFor(() => expect(alive(a.pid!)).toBe(false), { timeout: 10_000 });
    } finally {
      await s.close();
    }
  });

  it('stream a program as runStreaming does: chunks out, its stderr and exit code in the error, bytes exactly, a timeout', async () => {
    const s = new Spawner();
    try {
      // chunks of stdout as they come; a failure carries stderr and the code
      const chunks: Buffer[] = [];
      const st = runStreaming('sh', ['-c', 'echo "pid $PPID"; cat; echo oops >&2; exit 3'], { spawner: s, onStdout: (c) => chunks.push(c) });
      await st.write('line one\n');
      await st.write(Buffer.from('line two\n'));
      const err = await st.end().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExecError);
      expect((err as ExecError).message).toMatch(/exited with code 3: oops/);
      const out = Buffer.concat(chunks).toString();
      expect(out.split('\n').slice(1)).toEqual(['line one', 'line two', '']);
      expect(Number(/pid (\d+)/.exec(out)![1])).not.toBe(process.pid); // the helper's child

      // bytes in and out exactly (not UTF-8), through `run` with `binary`
      const bytes = Buffer.from([0, 255, 254, 10, 128, 1, 2, 3]);
      const r = await run('cat', [], { spawner: s, binary: true, input: bytes.toString('latin1') });
      expect(r.stdoutBuffer).toEqual(Buffer.from(bytes.toString('latin1')));

      // a program past its timeout is killed by the helper, and says so
      const slow = runStreaming('sleep', ['30'], { spawner: s, timeoutMs: 300 });
      const t = Date.now();
      await expect(slow.end()).rejects.toThrow(/timed out/);
      expect(Date.now() - t).toBeLessThan(10_000);

      // a missing program: not found, not a hang
      await expect(runStreaming(path.join(dir, 'nope'), [], { spawner: s }).end()).rejects.toThrow(/executable not found/);
    } finally {
      await s.close();
    }
  });
});
