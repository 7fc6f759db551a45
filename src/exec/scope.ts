/**
 * The processes of one run: every program a render session starts goes through its scope, so one
 * abort (the first failure, an interrupt) kills them all (process groups) and `close()` returns only
 * once every one of them has exited, and the work left behind (`behind`) is done — then, and only
 * then, may the caller remove their scratch dirs.
 */
import { CancelledError, run, runStreaming, type ExecOptions, type ExecResult, type Streaming, type StreamingOptions } from './exec.js';
import { sharedSpawner, type Spawner } from './spawner.js';

/** Told of every program a scope runs (log/progress.ts: the live display, counts, debug lines). */
export interface ExecObserver {
  /** A program starts; the returned function is called once it has exited. */
  started(command: string, args: string[], label?: string): (failed: boolean) => void;
}

export class ExecScope {
  private readonly controller = new AbortController();
  private readonly live = new Set<Promise<unknown>>();
  private readonly spawner: Spawner | null;
  private unlink: (() => void) | undefined;

  /** `parent`: a wider signal (the CLI's interrupt) that aborts this scope too. */
  constructor(parent?: AbortSignal, private readonly observer?: ExecObserver) {
    // the process-wide helper (git's calls use it too): one fork of kiln per run, not one per session;
    // started on first use, or by warm(): a run that runs nothing (a no-change publish) starts none
    this.spawner = sharedSpawner() ?? null;
    if (parent) {
      const onAbort = () => this.abort(parent.reason);
      if (parent.aborted) onAbort();
      else {
        parent.addEventListener('abort', onAbort, { once: true });
        this.unlink = () => parent.removeEventListener('abort', onAbort);
      }
    }
  }

  /** Start the spawner helper now, so its start overlaps other work instead of delaying the first program. */
  warm(): void {
    if (!this.signal.aborted) this.spawner?.warm();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the scope was aborted (the first failure, or the interrupt), undefined while it runs. */
  get reason(): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
  }

  /** Kill every running program and refuse new ones; the first reason wins. */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Throws CancelledError once aborted: work that has not started yet checks this first. */
  check(what: string): void {
    if (this.signal.aborted) throw new CancelledError(what);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.live.add(p);
    const done = () => void this.live.delete(p);
    p.then(done, done);
    return p;
  }

  /**
   * Work done by a process the scope does not start per request (a render worker answering one): told
   * to the observer as a program run, so counts, the live display and debug lines show it too.
   */
  observe<T>(command: string, args: string[], label: string | undefined, p: Promise<T>, failed: (v: T) => boolean): Promise<T> {
    const ended = this.observer?.started(command, args, label);
    if (ended) p.then((v) => ended(failed(v)), () => ended(true));
    return p;
  }

  run(command: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.track(this.observe(command, args, opts.label, run(command, args, { ...opts, signal: this.signal, spawner: this.spawner }), () => false));
  }

  runStreaming(command: string, args: string[], opts: StreamingOptions = {}): Streaming {
    const s = runStreaming(command, args, { ...opts, signal: this.signal });
    this.track(s.exited).catch(() => undefined);
    return s;
  }

  /**
   * Work the caller need not wait for (a scratch dir's removal, a cache entry's write): done behind,
   * and waited for by close(). Its failure is the work's own to handle; here it is dropped.
   */
  behind(p: Promise<unknown>): void {
    this.track(p.catch(() => undefined));
  }

  /** Wait for every program started through this scope to exit (the shared helper stays: bin/kiln.js stops it). */
  async close(): Promise<void> {
    while (this.live.size) await Promise.allSettled([...this.live]);
    this.unlink?.();
  }
}
