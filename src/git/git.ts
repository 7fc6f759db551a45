/** git through the one exec wrapper; identity and config pinned so the user's settings never leak in. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KilnError } from '../errors.js';
import { ExecError, run, runStreaming, type ExecOptions, type ExecResult, type Streaming, type StreamingOptions } from '../exec/exec.js';

const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  // kiln only reads the user's repo: never hold its index.lock
  GIT_OPTIONAL_LOCKS: '0',
  GIT_AUTHOR_NAME: 'kiln',
  GIT_AUTHOR_EMAIL: 'kiln@kiln.invalid',
  GIT_COMMITTER_NAME: 'kiln',
  GIT_COMMITTER_EMAIL: 'kiln@kiln.invalid',
  // glibc gives freed heap back to the OS past 128 KiB and faults it in again on the next large
  // allocation: fast-import of 1,000 branch commits spent 1.8 of its 2.6 s in the kernel doing that
  // (0.8 s with this); peak memory is the same. Other C libraries ignore the variable.
  GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=33554432',
};

/** Credentials helpers and SSH agents are the user's way to reach the remote; let those through. */
const ALLOW = ['SSH_AUTH_SOCK', 'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_ASKPASS', 'GIT_CONFIG_GLOBAL', 'XDG_CONFIG_HOME'];

export function identityEnv(env = process.env): Record<string, string> {
  const out: Record<string, string> = { ...GIT_ENV };
  for (const k of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_DATE'] as const) {
    const v = env[k];
    if (v) out[k] = v;
  }
  return out;
}

/** argv and options every git call shares: hooks off, pinned identity, the user's ways to reach remotes. */
function gitCall<O extends ExecOptions | StreamingOptions>(gitDir: string | undefined, args: string[], opts: O): [string[], O] {
  const full = gitDir ? ['--git-dir', gitDir, ...args] : args;
  return [['-c', 'core.hooksPath=/dev/null', ...full], { ...opts, env: { ...identityEnv(), ...(opts.env ?? {}) }, allowEnv: [...ALLOW, ...(opts.allowEnv ?? [])] }];
}

export function git(gitDir: string | undefined, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return run('git', ...gitCall(gitDir, args, { timeoutMs: 600_000, ...opts }));
}

/** git as a long-lived process talked to through stdin (and stdout, with `onStdout`). */
export function gitStreaming(gitDir: string | undefined, args: string[], opts: StreamingOptions = {}): Streaming {
  return runStreaming('git', ...gitCall(gitDir, args, opts));
}

/** A throwaway bare repo to fetch into and write objects in, never the user's; `remove` deletes it. */
export async function scratchRepo(prefix: string, base = os.tmpdir()): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(base, prefix));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await git(undefined, ['init', '--quiet', '--bare', dir]);
  } catch (e) {
    await remove();
    throw e;
  }
  return { dir, remove };
}

/** The top directory of the work tree `dir` is in. */
/** The work tree holding `dir`; a plain error when there is none (status, report, diff and promote read history). */
export async function repoTop(dir: string): Promise<string> {
  try {
    return (await git(undefined, ['-C', dir, 'rev-parse', '--show-toplevel'])).stdout.trim();
  } catch (e) {
    if (e instanceof ExecError && /not a git repository/i.test(e.stderr)) {
      throw new KilnError(`${dir} is not inside a git repository: this command reads the fleet repo's history`, { hint: 'run it in a clone of the fleet repo, or point --cwd at one' });
    }
    throw e;
  }
}
