/**
 * Programs started through spawner-child.ts: one long-lived small process that forks for us, so
 * the main thread (rendering, hashing, serialising) is not blocked ~12 ms per tool run while the
 * kernel copies kiln's page tables. Same contract as a direct spawn: argv, env, cwd, stdin, timeout
 * killing the program's process group, bounded output, cancellation. KILN_SPAWNER=off spawns directly.
 *
 * One process-wide Spawner serves every call, a render session's (exec/scope.ts) as well as git's
 * outside one: each helper is a fork of kiln, which blocks kiln's main thread while it is made.
 * bin/kiln.js closes it at the very end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AttachedProcess, socketPair, type AttachReply } from './attached.js';

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  input?: string;
  timeoutMs: number;
  maxBuffer: number;
}

export interface SpawnResult {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** stdout went past maxBuffer; the program was killed. */
  overflow: boolean;
  /** Killed because the caller cancelled (its run was aborted); settled only once it exited. */
  cancelled?: boolean;
  /** The program could not be started (ENOENT, EACCES…). */
  error?: { code?: string; message: string };
}

/** A program on a socket of kiln's (attached.ts): a render worker, or a git kiln streams to. */
export interface AttachRequest {
  attach: true;
  file: string;
  env: Record<string, string>;
  args?: string[];
  cwd?: string;
  /** Killed (its process group) after this long. */
  timeoutMs?: number;
  /** Keep its stderr (bounded) and send it with the exit; else it is dropped. */
  stderr?: boolean;
}

export type AttachOptions = Omit<AttachRequest, 'attach' | 'file' | 'env'>;

type Waiter = (r: SpawnResult) => void;

function script(): string | undefined {
  // dist/ holds the compiled .js; running from source (tests), Node strips the .ts types itself
  for (const ext of ['.js', '.ts']) {
    const f = fileURLToPath(new URL(`./spawner-child${ext}`, import.meta.url));
    if (existsSync(f)) return f;
  }
  return undefined;
}

export function spawnerEnabled(): boolean {
  return !/^(off|0|false|no)$/i.test(process.env.KILN_SPAWNER ?? '');
}

export class Spawner {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly attached = new Map<number, AttachedProcess>();
  private closed = false;

  private failAll(message: string): void {
    for (const [, w] of this.waiting) w({ stdout: '', stderr: '', timedOut: false, overflow: false, error: { message } });
    this.waiting.clear();
    for (const [, a] of this.attached) a.exited(null, 'SIGKILL', true);
    this.attached.clear();
  }

  /** Nothing asked of the helper is outstanding: it need not keep kiln alive. */
  private settled(c: ChildProcess): void {
    if (this.waiting.size === 0 && this.attached.size === 0) idle(c);
  }

  private start(): ChildProcess | undefined {
    if (this.closed) return undefined;
    if (this.child?.connected) return this.child;
    const file = script();
    if (!file) return undefined;
    const c = spawn(process.execPath, [file], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
    c.on('message', (m: SpawnResult & AttachReply & { id: number }) => {
      const a = this.attached.get(m.id);
      if (a) {
        if (m.exited) this.attached.delete(m.id);
        a.reply(m);
        this.settled(c);
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      w(m);
      this.settled(c);
    });
    c.on('exit', () => {
      if (this.child === c) this.child = undefined;
      this.failAll("kiln's spawner process exited");
    });
    c.on('error', () => undefined); // reported through 'exit'
    this.child = c;
    idle(c);
    return c;
  }

  /** Start the helper now, so its start overlaps other work instead of delaying the first tool run. */
  warm(): void {
    this.start();
  }

  /**
   * Run one program; undefined when there is no helper (then spawn directly). An abort kills the
   * program's process group; the promise still settles only once the program has exited.
   */
  run(req: SpawnRequest, signal?: AbortSignal): Promise<SpawnResult> | undefined {
    const c = this.start();
    if (!c) return undefined;
    const id = this.nextId++;
    return new Promise<SpawnResult>((resolve) => {
      const onAbort = () => {
        if (c.connected) c.send({ cancel: id }, () => undefined);
      };
      this.waiting.set(id, (r) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(r);
      });
      busy(c);
      c.send({ id, ...req }, (err) => {
        if (!err) return;
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        w?.({ stdout: '', stderr: '', timedOut: false, overflow: false, error: { message: `cannot reach kiln's spawner process: ${err.message}` } });
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Start a long-lived program (a render worker) through the helper, its stdin and stdout a socket
   * of kiln's; undefined when there is no helper or the system has no abstract socket names (then
   * spawn directly). Writes to its `stdin` wait until the helper has started it.
   */
  attach(file: string, env: Record<string, string>, more: AttachOptions = {}): AttachedProcess | undefined {
    if (!attachable()) return undefined;
    const c = this.start();
    if (!c) return undefined;
    const id = this.nextId++;
    const a = new AttachedProcess();
    this.attached.set(id, a);
    busy(c);
    const fail = (message: string) => {
      if (!this.attached.delete(id)) return;
      a.reply({ exited: true, error: { message } });
      this.settled(c);
    };
    socketPair().then(
      ([ours, theirs]) => {
        a.linked(ours);
        if (!c.connected) {
          theirs.destroy();
          return fail("kiln's spawner process exited");
        }
        const req: AttachRequest & { id: number } = { id, attach: true, file, env, ...more };
        c.send(req, theirs, (err) => {
          if (err) fail(`cannot reach kiln's spawner process: ${err.message}`);
        });
      },
      (e: Error) => {
        noSocketPairs = true;
        fail(`cannot make a socket for ${file}: ${e.message}`);
      },
    );
    return a;
  }

  /** Kill every program started through this helper (an interrupt); their calls settle as cancelled. */
  cancelAll(): void {
    for (const a of this.attached.values()) a.kill();
    const c = this.child;
    if (!c?.connected) return;
    for (const id of this.waiting.keys()) c.send({ cancel: id }, () => undefined);
  }

  /**
   * Stop the helper and wait for it: it is reaped by kiln, so its CPU time (and the programs it ran)
   * count in kiln's own accounting (`time kiln …`, CI metrics). Programs still running are killed.
   */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.child;
    if (!c) return;
    this.child = undefined;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.ref(); // an idle spawner is unref'd: waiting for it must keep kiln's event loop alive
    c.disconnect();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

/** Set once a socket pair for an attached program could not be made: the next ones are spawned by kiln. */
let noSocketPairs = false;

/**
 * Whether the helper can start programs on a socket of kiln's (Spawner.attach): the socket pair has
 * an abstract name, which only Linux has, and a sandbox may refuse Unix sockets (learnt at the first).
 */
export function attachable(): boolean {
  return process.platform === 'linux' && !noSocketPairs;
}

/** An idle spawner must not keep kiln alive; a pending request must. */
function idle(c: ChildProcess): void {
  c.unref();
  (c.channel as { unref?: () => void } | undefined)?.unref?.();
}
function busy(c: ChildProcess): void {
  c.ref();
  (c.channel as { ref?: () => void } | undefined)?.ref?.();
}

// Calls made outside a render session (git, tool version probes) share this one.
let shared: Spawner | undefined;

/** The process-wide spawner, or undefined when KILN_SPAWNER=off. */
export function sharedSpawner(): Spawner | undefined {
  if (!spawnerEnabled()) return undefined;
  shared ??= new Spawner();
  return shared;
}

/** Start the shared spawner early (see Spawner.warm). */
export function warmSpawner(): void {
  sharedSpawner()?.warm();
}

/** Kill the programs the shared spawner runs (an interrupt: git calls made outside a render session). */
export function cancelShared(): void {
  shared?.cancelAll();
}

/** Close the shared spawner (bin/kiln.js, at the very end). */
export async function closeSpawner(): Promise<void> {
  const s = shared;
  shared = undefined;
  await s?.close();
}
