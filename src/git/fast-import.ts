/**
 * Writes commits for many branches in one `git fast-import` process: no checkout, no index, one
 * pack. Each commit states its whole tree (`deleteall` + every file), so stale files vanish.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Streaming } from '../exec/exec.js';
import { KilnError } from '../errors.js';
import { git, gitStreaming, identityEnv } from './git.js';
import { blobIdOf, isBranchMeta } from './objects.js';

export interface CommitRequest {
  /** The ref fast-import updates inside the work repo (e.g. refs/kiln/new); it need not be the commit's branch. */
  ref: string;
  parent?: string;
  message: string;
  files: Map<string, string>;
}

/**
 * fast-import's raw `<seconds> <±hhmm>` for GIT_AUTHOR_DATE / GIT_COMMITTER_DATE, as `git commit`
 * honours them: git's raw form (`1700000000 +0100`, `@1700000000`) or an ISO 8601 / RFC 2822 date.
 * Unset: now, in UTC.
 */
export function rawDate(value: string | undefined, now: number, name: string): string {
  if (!value) return `${now} +0000`;
  const raw = /^@?(\d+)(?: ([+-]\d{4}))?$/.exec(value.trim());
  if (raw) return `${raw[1]} ${raw[2] ?? '+0000'}`;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new KilnError(`${name}="${value}" is not a date git reads`, { hint: 'use ISO 8601 (2024-01-02T03:04:05Z), RFC 2822, or "<unix seconds> <+hhmm>"; unset it for now' });
  return `${Math.floor(ms / 1000)} +0000`;
}

/** What fast-import is sent per pipe write at most, about (a commit is never split). */
const FLUSH_BYTES = 512 * 1024;
/** How far git may be behind the commits handed to it before a caller waits (the batches wait in memory). */
const MAX_IN_FLIGHT = 8 * 1024 * 1024;

export class FastImport {
  /** Started by the first commit: a publish that writes nothing (a no-change re-publish) starts no git. */
  private started: Streaming | undefined;
  private mark = 0;
  private readonly marks = new Map<number, string>();
  private readonly marksFile: string;
  /** Blobs this stream has written: a file met again (most files recur across a fleet's branches) goes by id, not inline. */
  private readonly written = new Set<string>();
  /** Bytes of file content sent inline, and files sent by id (tests). */
  readonly sent = { inlineBytes: 0, byId: 0, writes: 0 };
  /** Commits not yet written to git: marks are read at the end, so commits go in batches, not one pipe write (and git wake-up) each. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly gitDir: string) {
    this.marksFile = path.join(gitDir, 'kiln-marks');
  }

  private aborted = false;

  private get stream(): Streaming {
    if (this.aborted) throw new Error('git fast-import was aborted');
    if (!this.started) {
      this.started = gitStreaming(this.gitDir, ['fast-import', '--quiet', '--done', `--export-marks=${this.marksFile}`]);
    }
    return this.started;
  }

  /** Batches handed to the pipe, in order; never rejects (a failed write is kept in `failed`). */
  private writing: Promise<void> = Promise.resolve();
  /** Bytes handed to `writing` that git has not taken yet. */
  private inFlight = 0;
  private failed: { error: unknown } | undefined;

  /**
   * Queue a commit; returns its mark, resolved to a commit id by `finish()`. A commit is put into the
   * stream whole, at once (renders finish concurrently; interleaved writes would corrupt it), and the
   * caller goes on while git takes the batches: it waits only when git is MAX_IN_FLIGHT behind.
   */
  async commit(req: CommitRequest): Promise<number> {
    this.throwFailed();
    const m = this.add(req);
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    if (this.inFlight >= MAX_IN_FLIGHT) await this.writing;
    this.throwFailed();
    return m;
  }

  private throwFailed(): void {
    if (this.failed) throw this.failed.error;
  }

  private add(req: CommitRequest): number {
    const m = ++this.mark;
    this.marks.set(m, req.ref);
    const ident = identityEnv();
    const now = Math.floor(Date.now() / 1000);
    const msg = Buffer.from(req.message);
    // reset first: the commit's parent is exactly req.parent, whatever the ref held, so one ref can
    // carry every commit of a run (1,000 branch refs were 1,000 files fast-import wrote at its end)
    let head = `reset ${req.ref}\ncommit ${req.ref}\nmark :${m}\n`;
    head += `author ${ident.GIT_AUTHOR_NAME} <${ident.GIT_AUTHOR_EMAIL}> ${rawDate(ident.GIT_AUTHOR_DATE, now, 'GIT_AUTHOR_DATE')}\n`;
    head += `committer ${ident.GIT_COMMITTER_NAME} <${ident.GIT_COMMITTER_EMAIL}> ${rawDate(ident.GIT_COMMITTER_DATE, now, 'GIT_COMMITTER_DATE')}\n`;
    head += `data ${msg.length}\n`;
    // one write per commit (a branch is a few hundred KiB at most), not three per file
    const chunks: Buffer[] = [Buffer.from(head), msg, Buffer.from(`\n${req.parent ? `from ${req.parent}\n` : ''}deleteall\n`)];
    for (const [file, content] of req.files) {
      // paths come from kiln's own [a-z0-9./-] names; quoting is not needed but a newline would corrupt the stream
      if (/[\n"]/.test(file)) throw new Error(`unsafe path for fast-import: ${JSON.stringify(file)}`);
      // fast-import takes a blob it wrote earlier in this stream by its id (README.md and .kiln/ name
      // their cluster: never met again, not worth hashing here); the ids are the tree id's, mostly memoised
      const id = isBranchMeta(file) ? undefined : blobIdOf(content, true);
      if (id !== undefined && this.written.has(id)) {
        chunks.push(Buffer.from(`M 100644 ${id} ${file}\n`));
        this.sent.byId++;
        continue;
      }
      const body = Buffer.from(content);
      chunks.push(Buffer.from(`M 100644 inline ${file}\ndata ${body.length}\n`), body, Buffer.from('\n'));
      this.sent.inlineBytes += body.length;
      if (id !== undefined) this.written.add(id);
    }
    chunks.push(Buffer.from('\n'));
    for (const c of chunks) this.pendingBytes += c.length;
    this.pending.push(...chunks);
    return m;
  }

  /** Hand the batch to the pipe, behind the batches before it. */
  private flush(): void {
    if (this.pendingBytes === 0) return;
    const batch = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.sent.writes++;
    this.inFlight += batch.length;
    const stream = this.stream;
    this.writing = this.writing.then(async () => {
      try {
        if (!this.failed) await stream.write(batch);
      } catch (e) {
        this.failed ??= { error: e };
      } finally {
        this.inFlight -= batch.length;
      }
    });
  }

  /** Close the stream; returns mark → commit id. */
  async finish(): Promise<Map<number, string>> {
    if (!this.started && this.pendingBytes === 0) return new Map();
    this.flush();
    await this.writing;
    this.throwFailed();
    await this.stream.write('done\n');
    await this.stream.end();
    const text = await readFile(this.marksFile, 'utf8').catch(() => '');
    await rm(this.marksFile, { force: true });
    const out = new Map<number, string>();
    for (const line of text.split('\n')) {
      const m = /^:(\d+) ([0-9a-f]{40})$/.exec(line.trim());
      if (m) out.set(Number(m[1]), m[2]!);
    }
    return out;
  }

  /** Kill git fast-import and wait for it to exit, so its repository can be removed safely. */
  async abort(): Promise<void> {
    this.aborted = true;
    const s = this.started;
    if (!s) return;
    s.kill();
    await s.exited.catch(() => undefined);
  }
}

/** One more commit with an already written tree (a retry after a lost push race needs no re-render). */
export async function commitTree(gitDir: string, tree: string, parent: string | undefined, message: string, sign?: { format: 'openpgp' | 'ssh'; key: string }): Promise<string> {
  // a signed commit: git asks gpg (GNUPGHOME, the agent) or ssh-keygen -Y sign with the key file
  const signing = sign ? ['-c', `gpg.format=${sign.format}`, '-c', `user.signingkey=${sign.key}`] : [];
  const args = [...signing, 'commit-tree', ...(sign ? ['-S'] : []), tree, ...(parent ? ['-p', parent] : [])];
  const { stdout } = await git(gitDir, args, { input: message, ...(sign ? { allowEnv: ['GNUPGHOME', 'GPG_AGENT_INFO', 'GPG_TTY'] } : {}) });
  return stdout.trim();
}
