/** Where the fleet config comes from: repo URL, commit, ref (for provenance). */
import { ExecError, run } from '../exec/exec.js';
import { redact } from '../log/redact.js';
import { workTreeChanges } from './work-tree-changes.js';

export interface SourceInfo {
  repo: string;
  commit: string;
  ref: string;
  /** Short subject of the source commit (for commit messages). */
  subject: string;
  /** The work tree had uncommitted changes (kiln's own outputs aside): the render is not reproducible from `commit` alone. */
  dirty: boolean;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run('git', args, { cwd, timeoutMs: 30_000 })).stdout.trim();
  } catch (e) {
    if (e instanceof ExecError) return undefined;
    throw e;
  }
}

/**
 * Strip credentials from a remote URL: they must never land in metadata or logs. Only the secret
 * parts go (a token or password in the user part, token query parameters); host, path and an SSH
 * login such as `git@` stay, so the URL still clones.
 */
export function publicRepoUrl(url: string): string {
  return redact(url).replace(/:\/\/\*\*\*@/, '://');
}

export async function sourceInfo(root: string, overrides: Partial<SourceInfo> = {}, env = process.env): Promise<SourceInfo> {
  // independent questions, asked at once
  // HEAD's id and subject in one question (the subject was a second, serial one)
  const both = overrides.commit === undefined && overrides.subject === undefined;
  const [head, origin, symbolic, status] = await Promise.all([
    overrides.commit !== undefined ? undefined : both ? git(root, ['log', '-1', '--format=%H%n%s', 'HEAD']) : git(root, ['rev-parse', 'HEAD']),
    overrides.repo === undefined ? git(root, ['config', '--get', 'remote.origin.url']) : undefined,
    overrides.ref === undefined && !env.GITHUB_REF && !env.CI_COMMIT_REF_NAME ? git(root, ['symbolic-ref', '-q', 'HEAD']) : undefined,
    // no optional locks (inside): a refresh of the user's index would take index.lock and fail their own git
    overrides.dirty === undefined ? workTreeChanges(root, env) : undefined,
  ]);
  let id = head;
  let headSubject: string | undefined;
  if (both && head !== undefined) {
    // an empty subject: the output was trimmed down to the id alone
    const nl = head.indexOf('\n');
    id = nl < 0 ? head : head.slice(0, nl);
    headSubject = nl < 0 ? '' : head.slice(nl + 1);
  }
  const commit = overrides.commit ?? id ?? 'unknown';
  const remote = overrides.repo ?? origin;
  const ciRepo = env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : env.CI_PROJECT_URL;
  const ref =
    overrides.ref ??
    env.GITHUB_REF ??
    (env.CI_COMMIT_REF_NAME ? `refs/heads/${env.CI_COMMIT_REF_NAME}` : undefined) ??
    symbolic ??
    'unknown';
  const subject = overrides.subject ?? headSubject ?? (commit === 'unknown' ? '' : ((await git(root, ['log', '-1', '--format=%s', commit])) ?? ''));
  return {
    repo: publicRepoUrl(remote ?? ciRepo ?? `file://${root}`),
    commit,
    ref,
    subject,
    dirty: overrides.dirty ?? Boolean(status?.length),
  };
}
