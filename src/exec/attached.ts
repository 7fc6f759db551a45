/**
 * A long-lived program started by the spawner helper (spawner.ts) rather than by kiln: a render
 * worker. A fork of kiln blocks kiln's main thread until the child has exec'd, 35–50 ms per worker
 * when the cores are busy; the helper's fork blocks only the helper. The program's stdin and stdout
 * are one end of a Unix socket pair made here (an abstract socket name: nothing on disk), whose
 * other end kiln keeps; the helper spawns the program on its end and closes its copy.
 *
 * The object reads like the ChildProcess the pool knew: `stdin`, `stdout`, `pid`, `exitCode`,
 * `signalCode`, 'exit' and 'error' events, and `kill()`.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { PassThrough } from 'node:stream';

export interface AttachReply {
  pid?: number;
  exited?: boolean;
  exitCode?: number;
  signal?: string;
  error?: { code?: string; message: string };
  /** With the exit, when asked for: what the program wrote to stderr (bounded). */
  stderr?: string;
  /** With the exit: the helper killed it at its timeout. */
  timedOut?: boolean;
}

let pairs = 0;

/** A connected pair of Unix sockets of this process: [ours, theirs]. */
export function socketPair(): Promise<[net.Socket, net.Socket]> {
  return new Promise((resolve, reject) => {
    const name = `\0kiln-${process.pid}-${++pairs}-${Math.random().toString(36).slice(2)}`;
    const server = net.createServer();
    let ours: net.Socket | undefined;
    server.once('error', reject);
    server.once('connection', (theirs) => {
      server.close();
      resolve([ours!, theirs]);
    });
    server.listen(name, () => {
      ours = net.connect(name);
      ours.once('error', (e) => {
        server.close();
        reject(e);
      });
    });
  });
}

export class AttachedProcess extends EventEmitter {
  /** What kiln writes (kept until the program runs: the helper must not read any of it). */
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: string | null = null;
  /** Set with the exit (see AttachReply). */
  stderr = '';
  timedOut = false;
  /** The program could not be started (ENOENT, EACCES…), or the helper could not be reached. */
  startError: { code?: string; message: string } | undefined;
  private link: net.Socket | undefined;
  private killWanted = false;
  private over = false;

  constructor() {
    super();
    // a write after the program went (EPIPE) is the exit's to report, as with a child's stdin
    this.stdin.on('error', () => undefined);
  }

  /** The socket pair is made; `ours` is kiln's end. */
  linked(ours: net.Socket): void {
    this.link = ours;
    ours.on('error', () => undefined); // the program's exit reports it
    if (this.pid !== undefined) this.flow();
  }

  /** Once the program runs (its pid known): what kiln wrote goes to it, what it writes comes out. */
  private flow(): void {
    const link = this.link!;
    // its output is read only now: whoever sees a line from it can also see its pid
    link.pipe(this.stdout);
    // a socket torn down (a write to a program that died: EPIPE) closes without an end, and pipe()
    // would leave the output open for good
    link.once('close', () => {
      if (!this.stdout.writableEnded) this.stdout.end();
    });
    if (this.killWanted) this.kill();
    else this.stdin.pipe(link);
  }

  /** A message from the helper about this program. */
  reply(r: AttachReply): void {
    if (r.pid !== undefined && this.pid === undefined) {
      this.pid = r.pid;
      if (this.link) this.flow();
    }
    if (r.stderr !== undefined) this.stderr = r.stderr;
    if (r.timedOut) this.timedOut = true;
    if (r.error) {
      this.startError = r.error;
      const e = Object.assign(new Error(r.error.message), { code: r.error.code });
      if (this.listenerCount('error')) this.emit('error', e);
    }
    if (r.exited) this.exited(r.exitCode ?? null, r.signal ?? null);
  }

  /**
   * The program is gone: its exit (what it wrote is still read to the end), or the helper's (`helperGone`:
   * the helper kills its programs as it goes; one that outlived it sees its stdin end).
   */
  exited(code: number | null, signal: string | null, helperGone = false): void {
    if (this.over) return;
    this.over = true;
    this.exitCode = code;
    this.signalCode = signal ?? (code === null ? 'SIGKILL' : null);
    if (helperGone && this.link) {
      this.link.unpipe(this.stdout);
      this.link.destroy();
    }
    // never linked, never started, or cut off: no more output will come
    if (!this.link || this.pid === undefined || helperGone) this.stdout.end();
    this.emit('exit', this.exitCode, this.signalCode);
  }

  kill(): void {
    if (this.over) return;
    if (this.pid === undefined) {
      this.killWanted = true; // killed the moment the helper names it
      return;
    }
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
