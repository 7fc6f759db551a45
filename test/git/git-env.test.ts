/**
 * The environment every git kiln runs gets: the user's identity settings never leak in, and glibc
 * keeps freed heap instead of faulting it in again (git fast-import of a 1,000-branch publish spent
 * most of its time in the kernel without it). Asked of a real git, through kiln's own git call and
 * through the process git itself starts for a local push (receive-pack inherits it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { git, gitStreaming } from '../../src/git/git.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-git-env-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('git environment', () => {
  it('git runs with the malloc trim threshold raised and the pinned identity', async () => {
    // an alias that prints the environment git was given
    const show = ['-c', 'alias.show-env=!printenv GLIBC_TUNABLES GIT_AUTHOR_NAME', 'show-env'];
    const { stdout } = await git(undefined, show, { cwd: base, env: { GIT_AUTHOR_NAME: 'kiln' } });
    expect(stdout.trim().split('\n')).toEqual(['glibc.malloc.trim_threshold=33554432', 'kiln']);
  });

  it('a streaming git (fast-import) gets it too', async () => {
    let out = '';
    const s = gitStreaming(undefined, ['-c', 'alias.show-env=!cat >/dev/null; printenv GLIBC_TUNABLES', 'show-env'], { cwd: base, onStdout: (chunk: Buffer | string) => void (out += chunk.toString()) });
    await s.end();
    expect(out.trim()).toBe('glibc.malloc.trim_threshold=33554432');
  });
});
