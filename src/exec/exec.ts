/**
 * The single way kiln runs another program: argv arrays (never a shell), a timeout, and an
 * environment built from an allowlist so tokens in CI never reach helm, jsonnet or ytt.
 */
import type { Writable } from 'node:stream';
import { KilnError } from '../errors.js';
import { redact } from '../log/redact.js';
import type { AttachedProcess } from './attached.js';
import { attachable, cancelShared, sharedSpawner, type Spawner, type SpawnResult } from './spawner.js';

type ExecaFn = (typeof import('execa'))['execa'];
let execaLoaded: Promise<ExecaFn> | undefined;
/**
 * execa is ~110 modules (~80 ms to load): loaded on the first program started directly, not at
 * start-up; a run whose programs all go through the spawner helper (every run on Linux with the
 * helper on) never loads it.
 */
function loadExeca(): Promise<ExecaFn> {
  return (execaLoaded ??= import('execa').then((m) => m.execa));
}

/**
 * Start loading execa now, for a caller sure to start a streamed or byte-output program soon (its
 * load then overlaps other work). Not where the spawner helper starts those (Linux): execa is then
 * loaded only if a socket pair cannot be made.
 */
export function preloadExeca(): void {
  if (sharedSpawner() && attachable()) return;
  loadExeca().catch(() => undefined); // the program's own start reports a failed load
}

const BASE_ENV = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'LC_ALL', 'TZ', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NO_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY', 'no_proxy', 'https_proxy', 'http_proxy'];

export interface ExecOptions {
  cwd?: string;
  /** Milliseconds; default 5 minutes. */
  timeoutMs?: number;
  /** Extra variables set for this call (not inherited ones). */
  env?: Record<string, string>;
  /** Inherited variables allowed through, beyond PATH/HOME/locale/proxy. */
  allowEnv?: string[];
  input?: string;
  /** Max bytes of stdout kept (default 512 MiB). */
  maxBuffer?: number;
  /** Keep stdout as bytes (`stdoutBuffer`) instead of decoding it as UTF-8. */
  binary?: boolean;
  /** Aborting kills the program's process group; the call then rejects with CancelledError once it exited. */
  signal?: AbortSignal;
  /** The spawner helper to start text-output programs through (a session's own); default the shared one, null: spawn directly. */
  spawner?: Spawner | null;
  /** What the run is for (`cluster/profile/component`), shown in progress and debug logs. */
  label?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Raw bytes of stdout, set when the call asked for `binary` (git objects). */
  stdoutBuffer?: Buffer;
}

/** A program that failed: carries the command, exit code and the tool's own message. */
export class ExecError extends KilnError {
  readonly command: string;
  readonly args: string[];
  readonly exitCode_: number | undefined;
  readonly stderr: string;
  readonly stdout: string;
  readonly timedOut: boolean;
  constructor(opts: { command: string; args: string[]; exitCode?: number; signal?: string; stderr: string; stdout?: string; timedOut: boolean; notFound?: boolean }) {
    const shown = [opts.command, ...opts.args].join(' ');
    const tail = lastLines(opts.stderr, 6);
    const why = opts.notFound
      ? 'executable not found'
      : opts.timedOut
        ? 'timed out'
        : opts.exitCode === undefined && opts.signal
          ? `was killed by ${opts.signal}`
          : `exited with code ${opts.exitCode ?? '?'}`;
    super(redact(`\`${truncate(shown, 300)}\` ${why}${tail ? `: ${tail}` : ''}`));
    this.name = 'ExecError';
    this.command = opts.command;
    this.args = opts.args;
    this.exitCode_ = opts.exitCode;
    this.stderr = redact(opts.stderr);
    this.stdout = opts.stdout ?? '';
    this.timedOut = opts.timedOut;
  }
  /** The tool's own message, condensed to one line. */
  get toolMessage(): string {
    return lastLines(this.stderr, 6);
  }
}

/**
 * A program killed because its run was cancelled (another cluster failed first, or an interrupt):
 * never the error a user is shown, the cause of the cancellation is.
 */
export class CancelledError extends KilnError {
  constructor(what: string) {
    super(`${what}: cancelled`);
    this.name = 'CancelledError';
  }
}

/** True for a cancellation, also one wrapped as the cause of another error. */
export function isCancelled(e: unknown): boolean {
  for (let c = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) if (c instanceof CancelledError) return true;
  return false;
}

function lastLines(text: string, n: number): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.slice(-n).join(' | ');
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) + '…' : s;
}

export function buildEnv(opts: Pick<ExecOptions, 'env' | 'allowEnv'>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of [...BASE_ENV, ...(opts.allowEnv ?? [])]) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...(opts.env ?? {}) };
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return '';
}

/**
 * Each program runs in its own process group, so a timeout kills what it started too: a helm plugin
 * or a wrapper script's child holding stdout open would otherwise keep kiln waiting past the timeout.
 * Groups of programs still running when kiln exits or is interrupted are killed with it.
 */
const groups = new Set<number>();
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => groups.forEach(killGroup));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      groups.forEach(killGroup);
      // kiln's CLI handles interrupts itself (stops, cleans up, exits 130/143); anything else dies of it
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/**
 * An interrupt: kill every program kiln runs outside a render session (sessions abort their own),
 * directly spawned or through the shared spawner; their calls then fail and the command unwinds.
 */
export function killRunning(): void {
  groups.forEach(killGroup);
  cancelShared();
}

/** A timeout that is a number of milliseconds, whatever KILN_TOOL_TIMEOUT_MS held. */
function timeoutOf(ms: number | undefined): number {
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : 300_000;
}

export async function run(command: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeout = timeoutOf(opts.timeoutMs);
  const signal = opts.signal;
  if (signal?.aborted) throw new CancelledError(`\`${command}\``);
  // text output (every tool run) goes through the spawner; bytes (git objects) stay on the direct path
  const maxBuffer = opts.maxBuffer ?? 512 * 1024 * 1024;
  const spawner = opts.spawner === undefined ? sharedSpawner() : opts.spawner;
  const via = spawner && !opts.binary ? spawner.run({ file: command, args, cwd: opts.cwd, env: buildEnv(opts), input: opts.input, timeoutMs: timeout, maxBuffer }, signal) : undefined;
  if (via) return spawned(command, args, await via, maxBuffer);
  // bytes (git objects) come through a socket of kiln's, the helper starting the program
  const attached = spawner && opts.binary ? spawner.attach(command, buildEnv(opts), { args, cwd: opts.cwd, timeoutMs: timeout, stderr: true }) : undefined;
  if (attached) {
    const s = throughHelper(attached, command, args, { signal, maxBuffer, bytes: true });
    if (opts.input !== undefined) void s.write(opts.input).catch(() => undefined); // the exit reports a failed write
    const r = await s.end();
    return { stdout: '', stderr: r.stderr, stdoutBuffer: r.stdoutBuffer };
  }
  let pid: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    if (pid !== undefined) killGroup(pid);
  };
  try {
    const execa = await loadExeca();
    hookExit();
    const sub = execa(command, args, {
      cwd: opts.cwd,
      timeout,
      detached: true,
      env: buildEnv(opts),
      extendEnv: false,
      shell: false,
      input: opts.input,
      stdin: opts.input === undefined ? 'ignore' : undefined,
      maxBuffer,
      stripFinalNewline: false,
      killSignal: 'SIGKILL',
      reject: true,
      encoding: opts.binary ? 'buffer' : 'utf8',
      ...(signal ? { cancelSignal: signal } : {}),
    });
    pid = sub.pid;
    signal?.addEventListener('abort', onAbort, { once: true });
    if (pid !== undefined) {
      groups.add(pid);
      // just after execa's own kill of the child (which sets timedOut), the rest of its group
      timer = setTimeout(() => killGroup(pid!), timeout + 200);
      timer.unref();
    }
    const r = await sub;
    if (opts.binary) {
      const buf = Buffer.from(r.stdout as unknown as Uint8Array);
      return { stdout: '', stderr: Buffer.from(r.stderr as unknown as Uint8Array).toString('utf8'), stdoutBuffer: buf };
    }
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  } catch (e) {
    const err = e as { exitCode?: number; signal?: string; stderr?: unknown; stdout?: unknown; timedOut?: boolean; isCanceled?: boolean; code?: string; originalMessage?: string };
    if (err.isCanceled || signal?.aborted) throw new CancelledError(`\`${command}\``);
    throw new ExecError({
      command,
      args,
      exitCode: err.exitCode,
      signal: err.signal,
      stdout: text(err.stdout),
      stderr: text(err.stderr) || (err.originalMessage ?? ''),
      timedOut: Boolean(err.timedOut),
      notFound: err.code === 'ENOENT',
    });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
    if (pid !== undefined) groups.delete(pid);
  }
}

function spawned(command: string, args: string[], r: SpawnResult, maxBuffer: number): ExecResult {
  if (r.cancelled) throw new CancelledError(`\`${command}\``);
  if (r.error) throw new ExecError({ command, args, stderr: r.error.message, timedOut: false, notFound: r.error.code === 'ENOENT' });
  if (r.timedOut || r.overflow || r.exitCode !== 0) {
    const stderr = r.overflow ? `${r.stderr}\nstdout went past ${maxBuffer} bytes` : r.stderr;
    throw new ExecError({ command, args, exitCode: r.exitCode, signal: r.signal, stdout: r.stdout, stderr, timedOut: r.timedOut });
  }
  return { stdout: r.stdout, stderr: r.stderr };
}

export interface Streaming {
  /** Write a chunk, waiting while the child's pipe is full (keeps memory flat for big streams). */
  write(chunk: string | Buffer): Promise<void>;
  /** Close stdin and wait for the program to finish. */
  end(): Promise<ExecResult>;
  kill(): void;
  /** Settles when the program exits, however that happens (a reader answering requests fails its waiters). */
  readonly exited: Promise<ExecResult>;
}

export interface StreamingOptions extends Omit<ExecOptions, 'input' | 'binary'> {
  /**
   * Hand stdout over in chunks as it comes instead of keeping it (a long-lived `git cat-file --batch`
   * answering requests); `stdout` of the result is then empty.
   */
  onStdout?: (chunk: Buffer) => void;
}

/** A streamed program's defaults, whichever way it is started: an hour, and 64 MiB of stdout kept. */
const STREAM_TIMEOUT_MS = 3_600_000;
const STREAM_MAX_BUFFER = 64 * 1024 * 1024;

/** A program fed through stdin as a stream (git fast-import), with the same env and error rules as `run`. */
export function runStreaming(command: string, args: string[], opts: StreamingOptions = {}): Streaming {
  // started by the spawner helper on a socket of kiln's where it can (no fork of kiln, no execa)
  const spawner = opts.spawner === undefined ? sharedSpawner() : opts.spawner;
  const timeoutMs = opts.timeoutMs ?? STREAM_TIMEOUT_MS;
  const attached = spawner?.attach(command, buildEnv(opts), { args, cwd: opts.cwd, timeoutMs, stderr: true });
  if (attached) return throughHelper(attached, command, args, { signal: opts.signal, maxBuffer: opts.maxBuffer ?? STREAM_MAX_BUFFER, onStdout: opts.onStdout });
  // started once execa is loaded; calls made before that wait for it, in order
  const ready = loadExeca().then((execa) => startStreaming(execa, command, args, opts));
  const exited = ready.then((s) => s.exited);
  exited.catch(() => undefined);
  return {
    write: async (chunk) => (await ready).write(chunk),
    end: async () => (await ready).end(),
    kill: () => void ready.then((s) => s.kill()),
    exited,
  };
}

function startStreaming(execa: ExecaFn, command: string, args: string[], opts: StreamingOptions): Streaming {
  const onStdout = opts.onStdout;
  const child = execa(command, args, {
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? STREAM_TIMEOUT_MS,
    env: buildEnv(opts),
    extendEnv: false,
    shell: false,
    stdin: 'pipe',
    maxBuffer: opts.maxBuffer ?? STREAM_MAX_BUFFER,
    killSignal: 'SIGKILL',
    reject: true,
    ...(opts.signal ? { cancelSignal: opts.signal } : {}),
    ...(onStdout ? { buffer: { stdout: false }, encoding: 'buffer' as const } : {}),
  });
  if (onStdout) child.stdout!.on('data', (chunk: Buffer) => onStdout(chunk));
  let failure: unknown;
  const done = child.then(
    (r) => ({ stdout: onStdout ? '' : String(r.stdout), stderr: text(r.stderr) }),
    (e: { exitCode?: number; signal?: string; stderr?: unknown; timedOut?: boolean; isCanceled?: boolean; code?: string; originalMessage?: string }) => {
      if (e.isCanceled) {
        failure = new CancelledError(`\`${command}\``);
        throw failure;
      }
      failure = new ExecError({
        command,
        args,
        exitCode: e.exitCode,
        signal: e.signal,
        stderr: text(e.stderr) || (e.originalMessage ?? ''),
        timedOut: Boolean(e.timedOut),
        notFound: e.code === 'ENOENT',
      });
      throw failure;
    },
  );
  done.catch(() => undefined);
  const stdin = child.stdin!;
  stdin.on('error', () => undefined); // EPIPE when the child died; `end()` reports the real error
  return {
    async write(chunk) {
      if (failure) throw failure;
      await writeOrWait(stdin, chunk, done);
      if (failure) throw failure;
    },
    async end() {
      stdin.end();
      return done;
    },
    kill() {
      child.kill('SIGKILL');
    },
    exited: done,
  };
}

/**
 * A program the spawner helper started on a socket of kiln's (attached.ts), read and written as
 * `runStreaming`'s: writes wait while its input is backed up, stdout comes in chunks (`onStdout`)
 * or is kept (as text, or as bytes), and its exit settles `exited` with the same errors as `run`.
 */
function throughHelper(a: AttachedProcess, command: string, args: string[], o: { signal?: AbortSignal; maxBuffer: number; onStdout?: (chunk: Buffer) => void; bytes?: boolean }): Streaming & { end(): Promise<ExecResult> } {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let overflow = false;
  a.stdout.on('data', (c: Buffer) => {
    if (o.onStdout) return o.onStdout(c);
    keptBytes += c.length;
    if (keptBytes > o.maxBuffer) {
      overflow = true;
      a.kill();
    } else kept.push(c);
  });
  const onAbort = () => a.kill();
  if (o.signal?.aborted) onAbort();
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  const exited = new Promise<ExecResult>((resolve, reject) => {
    a.once('exit', (code: number | null, signal: string | null) => {
      o.signal?.removeEventListener('abort', onAbort);
      // what it wrote before it exited is read first
      const settle = () => {
        if (o.signal?.aborted) failure = new CancelledError(`\`${command}\``);
        else if (a.startError) failure = new ExecError({ command, args, stderr: a.startError.message, timedOut: false, notFound: a.startError.code === 'ENOENT' });
        else if (code !== 0 || a.timedOut || overflow) {
          const stderr = overflow ? `${a.stderr}\nstdout went past ${o.maxBuffer} bytes` : a.stderr;
          failure = new ExecError({ command, args, exitCode: code ?? undefined, signal: signal ?? undefined, stderr, timedOut: a.timedOut });
        }
        if (failure) return reject(failure);
        const out = Buffer.concat(kept);
        resolve({ stdout: o.onStdout || o.bytes ? '' : out.toString('utf8'), stderr: a.stderr, ...(o.bytes ? { stdoutBuffer: out } : {}) });
      };
      if (a.stdout.readableEnded) settle();
      else a.stdout.once('end', settle);
    });
  });
  exited.catch(() => undefined);
  return {
    async write(chunk) {
      if (failure) throw failure;
      await writeOrWait(a.stdin, chunk, exited);
      if (failure) throw failure;
    },
    async end() {
      a.stdin.end();
      return exited;
    },
    kill: () => a.kill(),
    exited,
  };
}

/**
 * Write a chunk, and wait while the program's input is backed up: until it drains, closes, or the
 * program is gone (`gone` settles). A program killed while its input is full need not say so on
 * the stream (no drain, no close), so its exit ends the wait; the caller then reports why.
 */
async function writeOrWait(input: Writable, chunk: string | Buffer, gone: Promise<unknown>): Promise<void> {
  if (input.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const settle = () => {
      input.off('drain', settle);
      input.off('close', settle);
      resolve();
    };
    input.on('drain', settle);
    input.on('close', settle);
    gone.then(settle, settle);
  });
}
