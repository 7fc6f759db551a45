/**
 * kiln's spawner: a small process that starts programs for the main one (see spawner.ts). A fork
 * costs in proportion to the forking process's memory; from here it is a few milliseconds instead
 * of ~12 ms of the main thread, 1,000 times per fleet. Node built-ins only at run time (tests run
 * this file by type stripping; dist/ holds it compiled).
 */
import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import type { AttachRequest, SpawnRequest } from './spawner.js'; // erased: this file imports nothing at run time

interface Request extends SpawnRequest {
  id: number;
}
/** The caller gave up on request `cancel` (its run was aborted): kill that program's group. */
interface Cancel {
  cancel: number;
}

// request id → the program's pid and a flag set by its cancellation
const running = new Map<number, { pid: number; cancel: () => void }>();

const groups = new Set<number>();
/** stderr kept of a program kiln streams to (git's messages are short; a flood is cut). */
const STDERR_MAX = 1024 * 1024;
const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};
const quit = () => {
  groups.forEach(killGroup);
  process.exit(0);
};
// the main process going away (however it ends) closes the channel: its programs go with it
process.on('disconnect', quit);
process.on('SIGTERM', quit);
process.on('SIGHUP', quit);
process.on('SIGINT', () => undefined); // a terminal's Ctrl-C reaches kiln too, which then disconnects

/**
 * Start a long-lived program on the socket kiln sent along (a render worker): its stdin and stdout
 * are that socket, whose other end kiln holds. This process closes its copy before it answers, so
 * it never reads what kiln writes (kiln writes only once told the pid).
 */
function attach(m: AttachRequest & { id: number }, sock: Socket | undefined): void {
  const reply = (r: object) => {
    if (process.connected) process.send!({ id: m.id, ...r }, undefined, undefined, () => undefined);
  };
  if (!sock) return reply({ exited: true, error: { message: 'no socket came with the request' } });
  let child;
  try {
    child = spawn(m.file, m.args ?? [], { cwd: m.cwd, env: m.env, detached: true, stdio: [sock, sock, m.stderr ? 'pipe' : 'ignore'] });
  } catch (e) {
    sock.destroy();
    return reply({ exited: true, error: { code: (e as NodeJS.ErrnoException).code, message: (e as Error).message } });
  }
  sock.destroy();
  const pid = child.pid;
  let timedOut = false;
  const timer = m.timeoutMs && pid !== undefined
    ? setTimeout(() => {
        timedOut = true;
        killGroup(pid);
      }, m.timeoutMs)
    : undefined;
  const err: Buffer[] = [];
  let errBytes = 0;
  child.stderr?.on('data', (c: Buffer) => {
    if (errBytes < STDERR_MAX) err.push(c);
    errBytes += c.length;
  });
  if (pid !== undefined) {
    groups.add(pid);
    reply({ pid });
  }
  child.on('error', (e: NodeJS.ErrnoException) => {
    if (pid !== undefined) return; // started: its close reports it
    clearTimeout(timer);
    reply({ exited: true, error: { code: e.code, message: e.message } });
  });
  // after its stderr is read to the end (its stdin and stdout are kiln's socket, not ours)
  child.on('close', (code, signal) => {
    if (pid === undefined) return;
    clearTimeout(timer);
    groups.delete(pid);
    reply({ exited: true, exitCode: code ?? undefined, signal: signal ?? undefined, timedOut, ...(m.stderr ? { stderr: Buffer.concat(err).toString('utf8') } : {}) });
  });
}

process.on('message', (msg: Request | Cancel | (AttachRequest & { id: number }), handle?: Socket) => {
  if ('attach' in msg) return attach(msg, handle);
  if ('cancel' in msg) {
    running.get(msg.cancel)?.cancel();
    return;
  }
  const m = msg;
  let answered = false;
  const send = (r: object) => {
    if (answered) return;
    answered = true;
    // kiln may be gone between the check and the write (killed): the callback takes the EPIPE, which
    // would otherwise be an unhandled 'error' event printing a stack trace on kiln's stderr
    if (process.connected) process.send!({ id: m.id, ...r }, undefined, undefined, () => undefined);
  };
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: [m.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  } catch (e) {
    send({ error: { code: (e as NodeJS.ErrnoException).code, message: (e as Error).message } });
    return;
  }
  const pid = child.pid;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outBytes = 0;
  let errBytes = 0;
  let timedOut = false;
  let overflow = false;
  let cancelled = false;
  let spawnError: NodeJS.ErrnoException | undefined;
  if (pid !== undefined) {
    groups.add(pid);
    running.set(m.id, {
      pid,
      cancel: () => {
        cancelled = true;
        killGroup(pid);
      },
    });
  }
  const timer = setTimeout(() => {
    timedOut = true;
    if (pid !== undefined) killGroup(pid);
  }, m.timeoutMs);
  child.stdout!.on('data', (c: Buffer) => {
    outBytes += c.length;
    if (outBytes > m.maxBuffer) {
      overflow = true;
      if (pid !== undefined) killGroup(pid);
    } else out.push(c);
  });
  child.stderr!.on('data', (c: Buffer) => {
    if (errBytes < m.maxBuffer) err.push(c);
    errBytes += c.length;
  });
  if (m.input !== undefined) {
    child.stdin!.on('error', () => undefined); // EPIPE: the program did not read its input; its exit says why
    child.stdin!.end(m.input);
  }
  child.on('error', (e: NodeJS.ErrnoException) => {
    spawnError = e;
    if (pid === undefined) {
      clearTimeout(timer); // never started: no close to wait for
      send({ error: { code: e.code, message: e.message } });
    }
  });
  child.on('close', (code, signal) => {
    clearTimeout(timer);
    running.delete(m.id);
    if (pid !== undefined) {
      killGroup(pid); // whatever it started and left running
      groups.delete(pid);
    }
    const stdout = Buffer.concat(out).toString('utf8');
    const stderr = Buffer.concat(err).toString('utf8');
    if (spawnError) send({ error: { code: spawnError.code, message: spawnError.message } });
    else send({ exitCode: code ?? undefined, signal: signal ?? undefined, stdout, stderr, timedOut, overflow, cancelled });
  });
});
