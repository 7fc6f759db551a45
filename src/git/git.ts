/** git through the one exec wrapper; identity and config pinned so the user's settings never leak in. */
import { run, runStreaming, type ExecOptions, type ExecResult, type Streaming, type StreamingOptions } from '../exec/exec.js';

const GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'kiln',
  GIT_AUTHOR_EMAIL: 'kiln@kiln.invalid',
  GIT_COMMITTER_NAME: 'kiln',
  GIT_COMMITTER_EMAIL: 'kiln@kiln.invalid',
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

export function git(gitDir: string | undefined, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const full = gitDir ? ['--git-dir', gitDir, ...args] : args;
  return run('git', ['-c', 'core.hooksPath=/dev/null', ...full], {
    timeoutMs: 600_000,
    ...opts,
    env: { ...identityEnv(), ...(opts.env ?? {}) },
    allowEnv: [...ALLOW, ...(opts.allowEnv ?? [])],
  });
}

/** git as a long-lived process talked to through stdin (and stdout, with `onStdout`). */
export function gitStreaming(gitDir: string | undefined, args: string[], opts: StreamingOptions = {}): Streaming {
  const full = gitDir ? ['--git-dir', gitDir, ...args] : args;
  return runStreaming('git', ['-c', 'core.hooksPath=/dev/null', ...full], {
    ...opts,
    env: { ...identityEnv(), ...(opts.env ?? {}) },
    allowEnv: [...ALLOW, ...(opts.allowEnv ?? [])],
  });
}
