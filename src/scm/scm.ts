/**
 * One interface over GitHub (@octokit/rest) and GitLab (@gitbeaker/rest): what kiln needs from a
 * forge — a sticky PR/MR comment, commit statuses as a health gate, and promotion PRs/MRs.
 * Implementations live beside this file (github.ts, gitlab.ts); `scmFromEnv` picks one.
 */

export type ForgeKind = 'github' | 'gitlab';

/** The state of one status context on one commit, normalised across forges. */
export type CommitState = 'success' | 'pending' | 'failure' | 'missing';

export interface CommentResult {
  id: string;
  url?: string;
  action: 'created' | 'updated' | 'unchanged';
}

/** One comment/note on a PR/MR as kiln reads it back (system notes left out). */
export interface PrComment {
  id: string;
  body: string;
  url?: string;
}

export interface PullRequestResult {
  number: number;
  url: string;
  action: 'created' | 'updated';
}

export interface Scm {
  readonly kind: ForgeKind;
  /** Create, or update in place, the one comment on PR/MR `number` whose body contains `marker`. */
  upsertComment(number: number, marker: string, body: string): Promise<CommentResult>;
  /** Every (non-system) comment on PR/MR `number`, all pages. */
  listComments(number: number): Promise<PrComment[]>;
  createComment(number: number, body: string): Promise<PrComment>;
  updateComment(number: number, id: string, body: string): Promise<PrComment>;
  deleteComment(number: number, id: string): Promise<void>;
  /** The state of status/check `context` on commit `sha` (GitHub: statuses and check runs; GitLab: pipeline statuses). */
  commitState(sha: string, context: string): Promise<CommitState>;
  /** Open a PR/MR from `head` into `base`, or update the open one for that pair (title/body). */
  upsertPullRequest(opts: { head: string; base: string; title: string; body: string }): Promise<PullRequestResult>;
}

/** Where the forge and the PR/MR come from: the CI environment, or flags. */
export interface ScmOptions {
  forge?: ForgeKind;
  /** API base URL (GitHub: GITHUB_API_URL; GitLab: CI_API_V4_URL). Tests point it at 127.0.0.1. */
  apiUrl?: string;
  /** owner/repo (GitHub) or project path/id (GitLab). */
  repo?: string;
  token?: string;
}

/** The worst of several states: failure, then pending, then success; none is missing. */
export function worst(states: CommitState[]): CommitState {
  if (!states.length) return 'missing';
  if (states.includes('failure')) return 'failure';
  if (states.includes('pending')) return 'pending';
  return 'success';
}
