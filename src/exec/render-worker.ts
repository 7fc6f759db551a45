/**
 * Long-lived render workers (tools/render-worker, `kiln-render-worker`): jsonnet evaluated in a process
 * that stays up, so 1,000 renders pay Go's start-up once per core instead of once each (~20 ms, most
 * of a jsonnet run). The worker links go-jsonnet at the pinned CLI's version and answers with the bytes
 * the CLI would print; kiln uses it only when the jsonnet it located is that same Go implementation
 * and version, and falls back to the CLI whenever a worker cannot serve (missing binary, a crash,
 * `KILN_RENDER_WORKER=off`).
 *
 * A render session owns one pool (fleet/session.ts): at most `size` workers (one per tool slot),
 * started on demand, one request each at a time; an abort kills them (their process groups) and
 * `close()` ends them and waits for their exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../util/tools-dir.js';
import { buildEnv, CancelledError } from './exec.js';

export const WORKER_BINARY = 'kiln-render-worker';

export interface WorkerVar {
  name: string;
  value: string;
  /** `--*-code` (a Jsonnet expression) rather than `--*-str`. */
  code: boolean;
}

export interface JsonnetRequest {
  cwd: string;
  file: string;
  jpath: string[];
  ext: WorkerVar[];
  tla: WorkerVar[];
}

/** What the CLI would have produced: its exit code, stdout and stderr. */
export interface WorkerAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

interface Pending {
  resolve: (a: WorkerAnswer | undefined) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/** The binary to use, or undefined: `KILN_RENDER_WORKER=off`, a path in it, else the tools dir's. */
export function workerBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env.KILN_RENDER_WORKER ?? '';
  if (/^(off|0|false|no)$/i.test(v)) return undefined;
  const file = v && v.includes('/') ? path.resolve(v) : path.join(toolsDir(env), 'bin', WORKER_BINARY);
  return existsSync(file) ? file : undefined;
}

class Worker {
  readonly child: ChildProcess;
  readonly hello: Promise<string | undefined>;
  private buf = '';
  private pending: Pending | undefined;
  private nextId = 1;
  private onHello: ((v: string | undefined) => void) | undefined;
  dead = false;
  /** Killed (a timeout, an abort, a garbled answer): never handed out again, even before it exited. */
  killed = false;

  constructor(file: string) {
    // its own process group, like every program kiln runs: an abort kills it whole
    this.child = spawn(file, [], { stdio: ['pipe', 'pipe', 'ignore'], env: buildEnv({}), detached: true });
    this.hello = new Promise((resolve) => (this.onHello = resolve));
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.data(chunk));
    this.child.stdin!.on('error', () => undefined); // EPIPE when it died: 'exit' reports it
    this.child.on('error', () => this.gone());
    this.child.on('exit', () => this.gone());
  }

  private data(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let msg: { hello?: string; jsonnet?: string; id?: number; exitCode?: number; stdout?: string; stderr?: string; unsupported?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        this.kill();
        return;
      }
      if (msg.hello) {
        this.onHello?.(typeof msg.jsonnet === 'string' ? msg.jsonnet : undefined);
        this.onHello = undefined;
        continue;
      }
      const p = this.pending;
      this.pending = undefined;
      if (!p) continue;
      clearTimeout(p.timer);
      if (msg.unsupported !== undefined || typeof msg.exitCode !== 'number') p.resolve(undefined);
      else p.resolve({ exitCode: msg.exitCode, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '' });
    }
  }

  private gone(): void {
    if (this.dead) return;
    this.dead = true;
    this.onHello?.(undefined);
    this.onHello = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.resolve(undefined); // crashed mid-request: the caller runs the CLI
    }
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** undefined: this worker could not serve it (the caller runs the CLI). */
  request(body: object, timeoutMs: number): Promise<WorkerAnswer | undefined> {
    if (this.dead || this.killed) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // the CLI would have been killed at the timeout too: same report, and the worker goes
        this.pending = undefined;
        resolve({ exitCode: -1, stdout: '', stderr: '', timedOut: true });
        this.kill();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.child.stdin!.write(JSON.stringify({ id: this.nextId++, ...body }) + '\n');
    });
  }

  cancel(reason: unknown): void {
    const p = this.pending;
    this.pending = undefined;
    if (p) {
      clearTimeout(p.timer);
      p.reject(reason);
    }
    this.kill();
  }

  kill(): void {
    this.killed = true;
    if (this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }

  /** Close its stdin (it exits by itself) and wait, killing it if it lingers. */
  async end(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin!.end();
    const t = setTimeout(() => this.kill(), 2000);
    await exited;
    clearTimeout(t);
  }
}

export class RenderWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiters: Array<(w: Worker | undefined) => void> = [];
  private version: Promise<string | undefined> | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly size: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.abortAll(), { once: true });
  }

  /** The go-jsonnet version the workers link (`v0.22.0`), undefined when the worker does not start. */
  jsonnetVersion(): Promise<string | undefined> {
    if (!this.version) {
      const w = this.start();
      this.version = w ? w.hello : Promise.resolve(undefined);
      if (w) void w.hello.then(() => this.release(w));
    }
    return this.version;
  }

  private start(): Worker | undefined {
    if (this.closed || this.signal.aborted) return undefined;
    try {
      const w = new Worker(this.file);
      this.all.add(w);
      w.child.once('exit', () => {
        this.all.delete(w);
        const i = this.idle.indexOf(w);
        if (i >= 0) this.idle.splice(i, 1);
        // its slot is free again: a request waiting for one gets a fresh worker
        const next = this.waiters.shift();
        next?.(this.start());
      });
      return w;
    } catch {
      return undefined;
    }
  }

  private acquire(): Promise<Worker | undefined> {
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    if (this.all.size < this.size) return Promise.resolve(this.start());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(w: Worker): void {
    // a dead or killed worker frees its slot when it exits (above)
    if (w.dead || w.killed || this.closed) return;
    const next = this.waiters.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /**
   * Evaluate like `jsonnet` would; undefined when no worker could serve it (run the CLI instead).
   * Rejects with CancelledError when the session is aborted meanwhile.
   */
  async jsonnet(req: JsonnetRequest, timeoutMs: number): Promise<WorkerAnswer | undefined> {
    if (this.signal.aborted) throw new CancelledError('`jsonnet`');
    const w = await this.acquire();
    if (!w) return undefined;
    try {
      return await w.request({ engine: 'jsonnet', ...req }, timeoutMs);
    } finally {
      this.release(w);
    }
  }

  /** The running workers' process ids (tests: an abort leaves none). */
  pids(): number[] {
    return [...this.all].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  private abortAll(): void {
    const reason = new CancelledError('`jsonnet`');
    for (const w of this.all) w.cancel(reason);
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
  }

  /** End every worker and wait for it to exit. */
  async close(): Promise<void> {
    this.closed = true;
    for (const resolve of this.waiters.splice(0)) resolve(undefined);
    await Promise.all([...this.all].map((w) => w.end()));
  }
}
