/**
 * Work a render leaves behind (ExecScope.behind): a scratch dir's removal, a cache entry's write. The
 * result that used it does not wait; the scope's close() does, so a session removes its tmpDir and
 * the process exits only after it; a failure of such work fails nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecScope } from '../../src/exec/scope.js';
import { withScratch } from '../../src/render/common.js';
import type { RenderContext } from '../../src/render/renderer.js';
import { RunMemo } from '../../src/util/run-memo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-behind-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('ExecScope.behind', () => {
  it('close() waits for the work left behind; a failed one fails nothing', async () => {
    const scope = new ExecScope();
    let done = false;
    scope.behind(new Promise<void>((r) => setTimeout(() => ((done = true), r()), 100)));
    scope.behind(Promise.reject(new Error('a cache write that failed')));
    expect(done).toBe(false);
    await scope.close();
    expect(done).toBe(true);
  });

  it("withScratch in a session: the result comes before the dir's removal, which close() finishes", async () => {
    const exec = new ExecScope();
    const ctx = { tmpDir: base, session: { exec, memo: new RunMemo() } } as unknown as RenderContext;
    let seen = '';
    // a dir of many files: its removal takes many thread-pool trips
    const out = await withScratch(ctx, 'many', async (dir) => {
      seen = dir;
      const { writeFileSync } = await import('node:fs');
      for (let i = 0; i < 500; i++) writeFileSync(path.join(dir, `f${i}`), 'x');
      return 'rendered';
    });
    expect(out).toBe('rendered');
    expect(existsSync(seen)).toBe(true); // still being removed
    await exec.close();
    expect(existsSync(seen)).toBe(false);
    // without a session it is gone when the result comes
    const alone = await withScratch({ tmpDir: base } as RenderContext, 'alone', async (dir) => dir);
    expect(existsSync(alone)).toBe(false);
  });
});
