/** What the render-worker tests share: a session's worker set over one (possibly fake) binary, a render context, a process check. */
import { readFileSync } from 'node:fs';
import { RenderWorkerSet } from '../../src/exec/render-worker.js';
import { ExecScope } from '../../src/exec/scope.js';
import type { RenderContext } from '../../src/render/renderer.js';
import { RunMemo } from '../../src/util/run-memo.js';
import { cluster, realTools, tempDir } from './helpers.js';

/** A session's worker set whose `binary` worker is `file` (a fake one in some tests), and no other. */
export function workerSet(binary: string, file: string, size: number, signal: AbortSignal): RenderWorkerSet {
  return new RenderWorkerSet({ size, signal, locate: (name) => (name === binary ? file : undefined) });
}

export function scope(workers: RenderWorkerSet | undefined, exec = new ExecScope()) {
  return { exec, memo: new RunMemo(), ...(workers ? { workers } : {}) };
}

export async function ctxFor(root: string, session: RenderContext['session'], timeoutMs = 60_000): Promise<RenderContext> {
  return { root, cluster: cluster(), profile: 'p', component: 'c', tools: await realTools(), cacheDir: tempDir(), tmpDir: tempDir(), timeoutMs, session };
}

/** Running and not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}
