/**
 * Programs started through spawner-child.ts: one long-lived small process that forks for us, so
 * the main thread (rendering, hashing, serialising) is not blocked ~12 ms per tool run while the
 * kernel copies kiln's page tables. Same contract as a direct spawn: argv, env, cwd, stdin, timeout
 * killing the program's process group, bounded output. KILN_SPAWNER=off spawns directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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
  /** The program could not be started (ENOENT, EACCES…). */
  error?: { code?: string; message: string };
}

type Waiter = (r: SpawnResult) => void;

let child: ChildProcess | undefined;
let nextId = 1;
const waiting = new Map<number, Waiter>();

function script(): string | undefined {
  // dist/ holds the compiled .js; running from source (tests), Node strips the .ts types itself
  for (const ext of ['.js', '.ts']) {
    const f = fileURLToPath(new URL(`./spawner-child${ext}`, import.meta.url));
    if (existsSync(f)) return f;
  }
  return undefined;
}

function failAll(message: string): void {
  for (const [, w] of waiting) w({ stdout: '', stderr: '', timedOut: false, overflow: false, error: { message } });
  waiting.clear();
}

function start(): ChildProcess | undefined {
  if (child?.connected) return child;
  const file = script();
  if (!file) return undefined;
  const c = spawn(process.execPath, [file], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
  c.on('message', (m: SpawnResult & { id: number }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    w(m);
    if (waiting.size === 0) idle(c);
  });
  c.on('exit', () => {
    if (child === c) child = undefined;
    failAll('kiln\'s spawner process exited');
  });
  c.on('error', () => undefined); // reported through 'exit'
  child = c;
  idle(c);
  return c;
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

/** Start the spawner now, so its start overlaps other work instead of delaying the first tool run. */
export function warmSpawner(): void {
  if (spawnerEnabled()) start();
}

export function spawnerEnabled(): boolean {
  return !/^(off|0|false|no)$/i.test(process.env.KILN_SPAWNER ?? '');
}

/** Run one program through the spawner; undefined when there is none (then spawn directly). */
export function spawnVia(req: SpawnRequest): Promise<SpawnResult> | undefined {
  const c = start();
  if (!c) return undefined;
  const id = nextId++;
  return new Promise<SpawnResult>((resolve) => {
    waiting.set(id, resolve);
    busy(c);
    c.send({ id, ...req }, (err) => {
      if (!err) return;
      waiting.delete(id);
      resolve({ stdout: '', stderr: '', timedOut: false, overflow: false, error: { message: `cannot reach kiln's spawner process: ${err.message}` } });
    });
  });
}

/**
 * Stop the spawner and wait for it, when kiln is done: it is reaped by kiln, so its CPU time (and
 * the programs it ran) count in kiln's own accounting (`time kiln …`, CI metrics).
 */
export async function closeSpawner(): Promise<void> {
  const c = child;
  if (!c) return;
  child = undefined;
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.ref(); // an idle spawner is unref'd: waiting for it must keep kiln's event loop alive
  c.disconnect();
  await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
}
