/**
 * One long-lived `git cat-file --batch` answering many requests: reading the trees and blobs of a
 * thousand branches costs one process instead of one per branch, and only what is asked for is held.
 */
import { KilnError } from '../errors.js';
import type { Streaming } from '../exec/exec.js';
import { gitStreaming } from './git.js';
import type { GitObject } from './remote.js';

interface Request {
  ids: string[];
  next: number;
  out: Map<string, GitObject>;
  resolve(out: Map<string, GitObject>): void;
  reject(e: unknown): void;
}

// a newline or a revision expression in a request would shift every later answer
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export class CatFile {
  private readonly stream: Streaming;
  /** Requests in the order they were written: git answers in that order. */
  private readonly waiting: Request[] = [];
  /** Unparsed stdout, and how many bytes of it the next step needs before parsing is worth trying. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 1;
  /** Header read, body not yet complete. */
  private pending: { type: string; size: number } | undefined;
  private failure: unknown;
  private closed = false;

  constructor(gitDir: string) {
    this.stream = gitStreaming(gitDir, ['cat-file', '--batch'], { timeoutMs: 3_600_000, onStdout: (c) => this.onData(c) });
    this.stream.exited.then(
      () => this.fail(new KilnError('git cat-file --batch exited before answering every request')),
      (e: unknown) => this.fail(e),
    );
  }

  /** The objects with these ids; a missing object is absent from the result. */
  read(ids: readonly string[]): Promise<Map<string, GitObject>> {
    if (this.closed) return Promise.reject(new Error('cat-file reader is closed'));
    if (this.failure) return Promise.reject(this.failure);
    if (!ids.length) return Promise.resolve(new Map());
    const bad = ids.find((id) => !OBJECT_ID.test(id));
    if (bad !== undefined) return Promise.reject(new Error(`not a git object id: ${JSON.stringify(bad)}`));
    return new Promise((resolve, reject) => {
      // queued and written in the same tick, so concurrent callers' answers cannot interleave
      this.waiting.push({ ids: [...ids], next: 0, out: new Map(), resolve, reject });
      this.stream.write(ids.join('\n') + '\n').catch((e: unknown) => this.fail(e));
    });
  }

  /** Let the process finish; every answer asked for has been read (or failed) by then. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stream.end().catch(() => undefined);
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    for (const r of this.waiting.splice(0)) r.reject(this.failure);
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.need) return; // a big object still arriving: no copying until it is whole
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    let pos = 0;
    for (;;) {
      const req = this.waiting[0];
      if (!req) {
        if (pos < buf.length) this.fail(new KilnError('git cat-file --batch printed more than was asked for'));
        pos = buf.length;
        break;
      }
      if (!this.pending) {
        const nl = buf.indexOf(10, pos);
        if (nl < 0) {
          this.need = buf.length - pos + 1;
          break;
        }
        const header = buf.toString('latin1', pos, nl);
        pos = nl + 1;
        const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
        if (!m) {
          this.answered(req); // "<id> missing"
          continue;
        }
        this.pending = { type: m[1]!, size: Number(m[2]) };
      }
      const { type, size } = this.pending;
      if (buf.length - pos < size + 1) {
        this.need = size + 1;
        break;
      }
      // copied: a slice would keep the whole read buffer alive for as long as the caller keeps the body
      req.out.set(req.ids[req.next]!, { type, body: Buffer.from(buf.subarray(pos, pos + size)) });
      pos += size + 1;
      this.pending = undefined;
      this.answered(req);
    }
    const rest = buf.subarray(pos);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    if (!this.pending && !rest.length) this.need = 1;
  }

  private answered(req: Request): void {
    if (++req.next < req.ids.length) return;
    this.waiting.shift();
    req.resolve(req.out);
  }
}
