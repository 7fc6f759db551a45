/**
 * Which forge, repository, token and PR/MR: from flags first, then the CI environment
 * (GitHub Actions: GITHUB_*; GitLab CI: CI_*). Every token is registered for redaction.
 */
import { readFileSync } from 'node:fs';
import { KilnError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/redact.js';
import type { ForgeKind, Scm, ScmOptions } from './scm.js';

export function detectForge(opts: ScmOptions, env: NodeJS.ProcessEnv = process.env): ForgeKind {
  if (opts.forge) {
    if (opts.forge !== 'github' && opts.forge !== 'gitlab') throw new KilnError(`--forge "${String(opts.forge)}" is neither github nor gitlab`);
    return opts.forge;
  }
  if (env.GITHUB_ACTIONS === 'true' || env.GITHUB_REPOSITORY) return 'github';
  if (env.GITLAB_CI === 'true' || env.CI_API_V4_URL) return 'gitlab';
  throw new KilnError('cannot tell the forge: not in GitHub Actions or GitLab CI', { hint: 'pass --forge github|gitlab with --forge-repo (and the token in GITHUB_TOKEN / GITLAB_TOKEN)' });
}

/** The forge's client; its API library is loaded only here, so commands without a forge start faster. */
export async function scmFromEnv(opts: ScmOptions, env: NodeJS.ProcessEnv = process.env, logger?: Logger, signal?: AbortSignal): Promise<Scm> {
  const kind = detectForge(opts, env);
  if (kind === 'github') {
    const token = opts.token ?? env.GITHUB_TOKEN ?? env.GH_TOKEN;
    const tokenName = opts.token ? 'passed as an option' : env.GITHUB_TOKEN ? 'GITHUB_TOKEN' : 'GH_TOKEN';
    const repo = opts.repo ?? env.GITHUB_REPOSITORY;
    if (!token) throw new KilnError('GitHub needs a token: GITHUB_TOKEN is not set', { hint: 'in a workflow: env: { GITHUB_TOKEN: ${{ github.token }} } with permissions pull-requests: write' });
    if (!repo) throw new KilnError('GitHub needs the repository: GITHUB_REPOSITORY is not set', { hint: 'pass --forge-repo owner/repo' });
    registerSecret(token);
    const { GitHubScm } = await import('./github.js');
    return new GitHubScm({ apiUrl: opts.apiUrl ?? env.GITHUB_API_URL ?? 'https://api.github.com', repo, token, logger, tokenName, signal });
  }
  const privateToken = opts.token ?? env.GITLAB_TOKEN;
  const token = privateToken ?? env.CI_JOB_TOKEN;
  const apiUrl = opts.apiUrl ?? env.CI_API_V4_URL;
  const project = opts.repo ?? env.CI_PROJECT_ID ?? env.CI_PROJECT_PATH;
  if (!token) throw new KilnError('GitLab needs a token: neither GITLAB_TOKEN nor CI_JOB_TOKEN is set', { hint: 'add a project access token with api scope as the masked CI/CD variable GITLAB_TOKEN' });
  if (!apiUrl) throw new KilnError('GitLab needs the API URL: CI_API_V4_URL is not set', { hint: 'pass --forge-url https://gitlab.example.com/api/v4' });
  if (!project) throw new KilnError('GitLab needs the project: CI_PROJECT_ID is not set', { hint: 'pass --forge-repo group/project' });
  registerSecret(token);
  const { GitLabScm } = await import('./gitlab.js');
  const tokenName = opts.token ? 'passed as an option' : env.GITLAB_TOKEN ? 'GITLAB_TOKEN' : 'CI_JOB_TOKEN';
  return new GitLabScm({ apiUrl, project, token, tokenKind: privateToken ? 'private' : 'job', tokenName });
}

/**
 * The PR/MR of this pipeline: GitHub's event payload (pull_request, pull_request_target,
 * issue_comment on a PR) or `refs/pull/<n>/merge`; GitLab's CI_MERGE_REQUEST_IID.
 */
export function pullRequestFromEnv(kind: ForgeKind, env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (kind === 'gitlab') return positive(env.CI_MERGE_REQUEST_IID);
  if (env.GITHUB_EVENT_PATH) {
    try {
      const ev = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: unknown }; issue?: { number?: unknown; pull_request?: unknown }; number?: unknown };
      const n = positive(ev.pull_request?.number) ?? (ev.issue?.pull_request ? positive(ev.issue.number) : undefined) ?? positive(ev.number);
      if (n) return n;
    } catch {
      /* unreadable payload: fall back to the ref */
    }
  }
  const m = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '');
  return m ? Number(m[1]) : undefined;
}

function positive(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
