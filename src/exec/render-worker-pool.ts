/**
 * The processes behind exec/render-worker.ts: one worker process (its NDJSON line protocol, its
 * timeout and kill) and a pool of them for one binary and environment (at most `size`, started on
 * demand, one request each at a time, killed on the session's abort).
 */
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { AttachedProcess } from './attached.js';
import { buildEnv, CancelledError } from './exec.js';
import { sharedSpawner } from './spawner.js';

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

/** A CLI invocation for an argv pass-through worker (kustomize, helm). */
export interface ArgvRequest {
  engine: string;
  cwd: string;
  args: string[];
  /** Also the output's documents as values, when the worker can give them exactly (the kustomize worker). */
  values?: boolean;
}

/** Only the values of a YAML text, as the kustomize worker reads tool output (tests hold them against kiln's reader). */
export interface ValuesRequest {
  engine: 'values';
  text: string;
}

/** What the CLI would have produced: its exit code, stdout and stderr. */
export interface WorkerAnswer {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
  /** The stdout's documents, read as kiln reads tool output (parse.ts parseK8sYaml), when asked for and given. */
  values?: unknown[];
}

/**
 * The Go runtime of every worker: kiln runs one worker per tool slot and sends each one request at a
 * time, so a worker's extra threads only run Go's parallel GC and idle spinning, on the cores kiln and
 * the other workers need; and a worker's live heap is small, so the default GOGC collects it every few
 * MiB. One P and GOGC=200 (the heap grows to 3× its live size): ~30 % less CPU per kustomize build in
 * side runs (issue 21, round ten). GOMAXPROCS, GOGC or GOMEMLIMIT in the worker's environment, else in kiln's, win.
 */
const WORKER_GO_RUNTIME: Readonly<Record<string, string>> = { GOMAXPROCS: '1', GOGC: '200' };
const GO_RUNTIME_VARS = ['GOMAXPROCS', 'GOGC', 'GOMEMLIMIT'];

export function workerProcessEnv(env: Record<string, string>, inherited: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = { ...WORKER_GO_RUNTIME };
  for (const k of GO_RUNTIME_VARS) {
    const v = env[k] ?? inherited[k];
    if (v) out[k] = v;
  }
  return { ...env, ...out };
}

interface Pending {
  resolve: (a: WorkerAnswer | undefined) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

/** A worker process: a ChildProcess, or one the spawner helper started (attached.ts). */
interface WorkerChild extends EventEmitter {
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: string | null;
}

class Worker {
  readonly child: WorkerChild;
  /** The hello line's fields but `hello` (`{jsonnet: "v0.22.0"}`), undefined when it never said hello. */
  readonly hello: Promise<Record<string, string> | undefined>;
  private buf = '';
  private pending: Pending | undefined;
  private nextId = 1;
  private onHello: ((v: Record<string, string> | undefined) => void) | undefined;
  dead = false;
  /** Killed (a timeout, an abort, a garbled answer): never handed out again, even before it exited. */
  killed = false;

  constructor(file: string, env: Record<string, string>) {
    // its own process group, like every program kiln runs: an abort kills it whole; started by the
    // spawner helper when there is one (a fork of kiln here blocks the render for tens of ms)
    const workerEnv = workerProcessEnv(env);
    this.child = sharedSpawner()?.attach(file, workerEnv) ?? spawn(file, [], { stdio: ['pipe', 'pipe', 'ignore'], env: workerEnv, detached: true });
    this.hello = new Promise((resolve) => (this.onHello = resolve));
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => this.data(chunk));
    this.child.stdin!.on('error', () => undefined); // EPIPE when it died: 'exit' reports it
    this.child.on('error', () => this.gone());
    this.child.on('exit', () => this.gone());
  }

  private data(chunk: string): void {
    // an answer of megabytes arrives in many chunks: look for its end in the new chunk only
    const from = this.buf.length;
    this.buf += chunk;
    let nl = this.buf.indexOf('\n', from);
    for (; nl >= 0; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let msg: { hello?: string; id?: number; exitCode?: number; stdout?: string; stderr?: string; unsupported?: string; values?: unknown } & Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        this.kill();
        return;
      }
      if (msg.hello) {
        const fields = Object.entries(msg).filter((e): e is [string, string] => e[0] !== 'hello' && typeof e[1] === 'string');
        this.onHello?.(Object.fromEntries(fields));
        this.onHello = undefined;
        continue;
      }
      const p = this.pending;
      this.pending = undefined;
      if (!p) continue;
      clearTimeout(p.timer);
      if (msg.unsupported !== undefined || typeof msg.exitCode !== 'number') p.resolve(undefined);
      else p.resolve({ exitCode: msg.exitCode, stdout: msg.stdout ?? '', stderr: msg.stderr ?? '', ...(Array.isArray(msg.values) ? { values: msg.values } : {}) });
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
    if (this.child instanceof AttachedProcess) return this.child.kill();
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
  private greeting: Promise<Record<string, string> | undefined> | undefined;
  private closed = false;

  /** `env`: the whole environment of the worker processes (default: what exec gives every tool). */
  constructor(
    readonly file: string,
    private readonly size: number,
    private readonly signal: AbortSignal,
    private readonly env: Record<string, string> = buildEnv({}),
  ) {
    if (signal.aborted) this.closed = true;
    else signal.addEventListener('abort', () => this.abortAll(), { once: true });
  }

  /**
   * What the workers link, from their hello line (`{kustomize: "v5.8.2"}`): asked of the first worker
   * once; undefined when the worker does not start.
   */
  hello(): Promise<Record<string, string> | undefined> {
    if (!this.greeting) {
      const w = this.start();
      this.greeting = w ? w.hello : Promise.resolve(undefined);
      if (w) void w.hello.then(() => this.release(w));
    }
    return this.greeting;
  }

  /**
   * Start every worker slot now, each idle once it said hello: a fleet's first renders arrive together,
   * and would each wait for a worker's start-up (Helm's: ~0.1 s of Go package init) one after another.
   */
  warm(): void {
    void this.hello();
    while (this.all.size < this.size) {
      const w = this.start();
      if (!w) return;
      void w.hello.then(() => this.release(w));
    }
  }

  private start(): Worker | undefined {
    if (this.closed || this.signal.aborted) return undefined;
    try {
      const w = new Worker(this.file, this.env);
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
   * One request (`{engine, cwd, …}`, the id is added); undefined when no worker could serve it (run the
   * CLI instead). Rejects with CancelledError when the session is aborted meanwhile.
   */
  async request(body: ({ engine: 'jsonnet' } & JsonnetRequest) | ArgvRequest | ValuesRequest, timeoutMs: number): Promise<WorkerAnswer | undefined> {
    if (this.signal.aborted) throw new CancelledError(`\`${path.basename(this.file)}\``);
    const w = await this.acquire();
    if (!w) return undefined;
    try {
      return await w.request(body, timeoutMs);
    } finally {
      this.release(w);
    }
  }

  /** The running workers' process ids (tests: an abort leaves none). */
  pids(): number[] {
    return [...this.all].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid]));
  }

  private abortAll(): void {
    const reason = new CancelledError(`\`${path.basename(this.file)}\``);
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

