/** Talking to the rendered-branches remote: list heads, fetch some, read commits, push. */
import path from 'node:path';
import { ExitCode, KilnError } from '../errors.js';
import { ExecError } from '../exec/exec.js';
import { git } from './git.js';
import { stagePackedRefs } from './stage-refs.js';

export async function lsRemoteHeads(url: string): Promise<Map<string, string>> {
  let stdout: string;
  try {
    ({ stdout } = await git(undefined, ['ls-remote', '--heads', url], { timeoutMs: 120_000 }));
  } catch (e) {
    throw new KilnError(`cannot read branches of remote ${url}: ${e instanceof ExecError ? e.toolMessage : String(e)}`, {
      hint: 'check --remote and the credentials for it',
    });
  }
  const heads = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{40})\trefs\/heads\/(.+)$/.exec(line);
    if (m) heads.set(m[2]!, m[1]!);
  }
  return heads;
}

/**
 * Fetch the current heads of `branches` (depth 1: the parent commit and its tree is all a new commit
 * needs). With their ids from `ls-remote`, the commits are asked for by id: git matches named
 * refspecs against the remote's refs pairwise, which takes ~40 s for 10,000 branches. A head that
 * moved since (its old id is no longer a tip the server hands out) falls back to the names.
 */
export async function fetchHeads(gitDir: string, url: string, branches: string[], ids?: Map<string, string>): Promise<void> {
  if (branches.length === 0) return;
  const fetch = (input: string) => git(gitDir, ['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--depth=1', '--stdin', url], { input, timeoutMs: 1_800_000 });
  const wanted = ids ? branches.map((b) => ids.get(b)) : [];
  if (ids && wanted.every((id): id is string => id !== undefined && /^[0-9a-f]{40}$/.test(id))) {
    try {
      await fetch([...new Set(wanted)].join('\n') + '\n');
      return;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
    }
  }
  await fetch(branches.map((b) => `+refs/heads/${b}:refs/kiln/old/${b}`).join('\n') + '\n');
}

export interface GitObject {
  type: string;
  body: Buffer;
}

/** Read objects in one `cat-file --batch` call (bytes, not text: sizes are byte counts). */
export async function readObjects(gitDir: string, ids: string[]): Promise<Map<string, GitObject>> {
  const out = new Map<string, GitObject>();
  if (ids.length === 0) return out;
  const { stdoutBuffer } = await git(gitDir, ['cat-file', '--batch'], { input: ids.join('\n') + '\n', binary: true });
  const buf = stdoutBuffer!;
  let pos = 0;
  for (const id of ids) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) break;
    const header = buf.subarray(pos, nl).toString();
    pos = nl + 1;
    const m = /^([0-9a-f]{40}) (\w+) (\d+)$/.exec(header);
    if (!m) continue; // "<id> missing"
    const size = Number(m[3]);
    out.set(id, { type: m[2]!, body: buf.subarray(pos, pos + size) });
    pos += size + 1;
  }
  return out;
}

export interface CommitInfo {
  tree: string;
  message: string;
}

export function parseCommit(body: Buffer): CommitInfo {
  const text = body.toString('utf8');
  const split = text.indexOf('\n\n');
  const tree = /^tree ([0-9a-f]{40})$/m.exec(split < 0 ? text : text.slice(0, split))?.[1] ?? '';
  return { tree, message: split < 0 ? '' : text.slice(split + 2) };
}

/** `Key: value` trailers of a commit message (last paragraph). */
export function trailers(message: string): Map<string, string> {
  const paras = message.trimEnd().split(/\n\s*\n/);
  const last = paras[paras.length - 1] ?? '';
  const out = new Map<string, string>();
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

export interface PushUpdate {
  branch: string;
  commit: string;
}

export interface PushResult {
  ok: string[];
  /** Lost a race: the branch moved on the remote since we read it. */
  rejected: string[];
  /** How each `extra` ref fared: ok, lost a race (`rejected`), or refused by the server (its message). */
  extra?: Map<string, { status: 'ok' | 'rejected' | 'refused'; message?: string }>;
  /**
   * Ref lock files the remote could not create because they exist. Another push holds them for a
   * moment; one that stays was left by a git killed mid-update (SIGKILL: git cannot clean up) and
   * refuses every push of that ref until someone removes it.
   */
  locked?: string[];
}

/** A ref other than a branch pushed along (fast-forward only), e.g. the notes ref. */
export interface ExtraRef {
  ref: string;
  commit: string;
}

const PUSH_NS = 'refs/kiln/push/';

/**
 * One push for all updates, however many, so `--atomic` really covers every branch: the updates are
 * staged as refs under refs/kiln/push/ (exactly these, one write of packed-refs: stage-refs.ts) and pushed with one
 * wildcard refspec. Thousands of named refspecs would each be matched against every remote ref
 * (~100 s for 10,000 branches); the wildcard maps them in one pass (~10 s).
 */
export async function push(gitDir: string, url: string, updates: PushUpdate[], opts: { atomic: boolean; extra?: ExtraRef[] }): Promise<PushResult> {
  const extra = opts.extra ?? [];
  const result: PushResult = { ok: [], rejected: [], ...(extra.length ? { extra: new Map() } : {}) };
  await stagePackedRefs(gitDir, PUSH_NS, new Map(updates.map((u) => [PUSH_NS + u.branch, u.commit])));
  const args = ['push', '--porcelain', ...(opts.atomic ? ['--atomic'] : []), url, ...(updates.length ? [`${PUSH_NS}*:refs/heads/*`] : []), ...extra.map((x) => `${x.commit}:${x.ref}`)];
  let stdout = '';
  let failed: ExecError | undefined;
  try {
    ({ stdout } = await git(gitDir, args, { timeoutMs: 1_800_000 }));
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    failed = e;
    stdout = e.stdout;
  }
  const seen = new Set<string>();
  const hardRejects: string[] = [];
  const extraRefs = new Set(extra.map((x) => x.ref));
  for (const line of stdout.split('\n')) {
    // porcelain: "<flag>\t<from>:<to>\t<summary>"
    const x = /^(.)\t[^:]*:(refs\/\S+)\t(.*)$/.exec(line);
    if (x && extraRefs.has(x[2]!)) {
      seen.add(x[2]!);
      const refused = x[1] === '!' && /remote rejected/.test(x[3]!) && !/atomic/.test(x[3]!);
      result.extra!.set(x[2]!, x[1] !== '!' ? { status: 'ok' } : refused ? { status: 'refused', message: x[3]! } : { status: 'rejected' });
      continue;
    }
    const m = /^(.)\t[^:]*:refs\/heads\/(\S+)\t(.*)$/.exec(line);
    if (!m) continue;
    seen.add(m[2]!);
    if (m[1] !== '!') result.ok.push(m[2]!);
    else if (/remote rejected/.test(m[3]!) && !/atomic/.test(m[3]!)) hardRejects.push(`${m[2]}: ${m[3]}`);
    else result.rejected.push(m[2]!);
  }
  const locked = lockFiles(failed?.stderr ?? '');
  if (locked.length) result.locked = locked;
  if (hardRejects.length) {
    // a hook or protection refused the update: retrying cannot help
    throw new KilnError(`the remote refused the push: ${hardRejects.slice(0, 3).join('; ')}`, { hint: 'check branch protection and server hooks for the rendered branches' });
  }
  if (failed && seen.size === 0) {
    throw new KilnError(`push to ${url} failed: ${failed.toolMessage}`, { hint: 'check that the remote accepts pushes and the credentials allow it' });
  }
  return result;
}

/** The paths in git's "Unable to create '<path>.lock': File exists." lines (receive-pack relays them as `remote:`). */
export function lockFiles(stderr: string): string[] {
  const found = new Set<string>();
  for (const m of stderr.matchAll(/Unable to create '([^']+\.lock)': File exists/g)) found.add(path.normalize(m[1]!));
  return [...found];
}

/** The error for a push refused on every attempt because ref locks exist on the remote. */
export function staleLocksError(locked: string[], refs: number, attempts: number): KilnError {
  const more = locked.length > 3 ? ` and ${locked.length - 3} more` : '';
  return new KilnError(`the remote refused ${refs} ref update(s) after ${attempts} attempts because lock file(s) exist there: ${locked.slice(0, 3).join(', ')}${more}`, {
    exitCode: ExitCode.conflict,
    hint: 'a git process killed in the middle of an update leaves its lock files behind (after SIGKILL it cannot remove them); if no other push to this remote is running, delete them on the remote and publish again',
  });
}
