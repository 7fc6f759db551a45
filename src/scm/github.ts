/** The forge interface on GitHub's REST API (@octokit/rest); GHES works through `apiUrl`. */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { KilnError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/redact.js';
import { forgeCall, forgeError, forgeTimeoutMs, timedFetch, type ForgeContext } from './errors.js';
import { worst, type CommentResult, type CommitState, type PrComment, type PullRequestResult, type Scm } from './scm.js';

/**
 * Retries answered failures (5xx, with backoff) and waits out rate limits — primary and the secondary
 * ones a promotion opening hundreds of PRs meets — as GitHub asks: `retry-after`, then the reset time.
 */
const RetryingOctokit = Octokit.plugin(retry, throttling);
/** Longest rate-limit wait kiln sits out before failing, and how often it retries one request. */
const MAX_RATE_WAIT_S = 300;
const MAX_RATE_RETRIES = 3;

export interface GitHubOptions {
  apiUrl: string;
  /** owner/repo */
  repo: string;
  token: string;
  logger?: Logger;
  /** Where the token came from (GITHUB_TOKEN, GH_TOKEN…), for the hint when it is refused. */
  tokenName?: string;
  /** The run's interrupt: aborts a request in flight. */
  signal?: AbortSignal;
}

export class GitHubScm implements Scm {
  readonly kind = 'github' as const;
  private readonly api: InstanceType<typeof RetryingOctokit>;
  private readonly owner: string;
  private readonly repo: string;
  private readonly ctx: ForgeContext;

  constructor(o: GitHubOptions) {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(o.repo);
    if (!m) throw new KilnError(`GitHub repository "${o.repo}" is not owner/repo`, { hint: 'set GITHUB_REPOSITORY or pass --forge-repo owner/repo' });
    [this.owner, this.repo] = [m[1]!, m[2]!];
    registerSecret(o.token);
    this.ctx = { forge: 'GitHub', tokenName: o.tokenName, timeoutMs: forgeTimeoutMs(), apiUrl: o.apiUrl };
    const quiet = () => undefined;
    const log = o.logger;
    const rateLimited = (kind: string) => (after: number, options: { method?: string; url?: string }, _o: unknown, retries: number) => {
      if (retries >= MAX_RATE_RETRIES || after > MAX_RATE_WAIT_S) return false;
      log?.warn(`github: ${kind} rate limit on ${options.method ?? ''} ${options.url ?? ''}; retrying in ${after}s`);
      return true;
    };
    this.api = new RetryingOctokit({
      auth: o.token,
      baseUrl: o.apiUrl.replace(/\/+$/, ''),
      userAgent: 'kiln',
      request: { fetch: timedFetch(this.ctx.timeoutMs, o.signal) },
      retry: { retries: 2 },
      throttle: { onRateLimit: rateLimited('primary'), onSecondaryRateLimit: rateLimited('secondary') },
      log: { debug: quiet, info: quiet, warn: (m: string) => log?.warn(`github: ${m}`), error: (m: string) => log?.debug(`github: ${m}`) },
    });
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return forgeCall(this.ctx, what, fn);
  }

  async upsertComment(number: number, marker: string, body: string): Promise<CommentResult> {
    const text = body.includes(marker) ? body : `${marker}\n${body}`;
    const { owner, repo } = this;
    const comments = await this.call(`listing comments of #${number}`, () => this.api.paginate(this.api.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 }));
    const mine = comments.find((c) => c.body?.includes(marker));
    if (mine) {
      const { data } = await this.call(`updating comment ${mine.id} on #${number}`, () => this.api.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text }));
      return { id: String(data.id), url: data.html_url, action: 'updated' };
    }
    const { data } = await this.call(`commenting on #${number}`, () => this.api.rest.issues.createComment({ owner, repo, issue_number: number, body: text }));
    return { id: String(data.id), url: data.html_url, action: 'created' };
  }

  async listComments(number: number): Promise<PrComment[]> {
    const { owner, repo } = this;
    const all = await this.call(`listing comments of #${number}`, () => this.api.paginate(this.api.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 }));
    return all.map((c) => ({ id: String(c.id), body: c.body ?? '', url: c.html_url }));
  }

  async createComment(number: number, body: string): Promise<PrComment> {
    const { owner, repo } = this;
    const { data } = await this.call(`commenting on #${number}`, () => this.api.rest.issues.createComment({ owner, repo, issue_number: number, body }));
    return { id: String(data.id), body: data.body ?? '', url: data.html_url };
  }

  async updateComment(number: number, id: string, body: string): Promise<PrComment> {
    const { owner, repo } = this;
    const { data } = await this.call(`updating comment ${id} on #${number}`, () => this.api.rest.issues.updateComment({ owner, repo, comment_id: Number(id), body }));
    return { id: String(data.id), body: data.body ?? '', url: data.html_url };
  }

  async deleteComment(number: number, id: string): Promise<void> {
    const { owner, repo } = this;
    await this.call(`deleting comment ${id} on #${number}`, () => this.api.rest.issues.deleteComment({ owner, repo, comment_id: Number(id) }));
  }

  /** Commit statuses and check runs both count; the worst state wins. */
  async commitState(sha: string, context: string): Promise<CommitState> {
    const { owner, repo } = this;
    const states: CommitState[] = [];
    const combined = await this.call(`reading statuses of ${sha.slice(0, 12)}`, () => this.api.rest.repos.getCombinedStatusForRef({ owner, repo, ref: sha, per_page: 100 }));
    // statuses come newest first: the first one of a context is its current state
    const status = combined.data.statuses.find((s) => s.context === context);
    if (status) states.push(status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure');
    try {
      const { data } = await this.api.rest.checks.listForRef({ owner, repo, ref: sha, check_name: context, filter: 'latest', per_page: 100 });
      for (const run of data.check_runs) {
        if (run.status !== 'completed') states.push('pending');
        else states.push(['success', 'neutral', 'skipped'].includes(run.conclusion ?? '') ? 'success' : 'failure');
      }
    } catch (e) {
      // a token without checks:read still has statuses to go by
      if ((e as { status?: number }).status !== 403) throw forgeError(this.ctx, `reading check runs of ${sha.slice(0, 12)}`, e);
    }
    return worst(states);
  }

  async upsertPullRequest(opts: { head: string; base: string; title: string; body: string }): Promise<PullRequestResult> {
    const { owner, repo } = this;
    const open = await this.call(`listing pull requests from ${opts.head}`, () => this.api.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${opts.head}`, base: opts.base, per_page: 100 }));
    const pr = open.data[0];
    if (pr) {
      const { data } = await this.call(`updating pull request #${pr.number}`, () => this.api.rest.pulls.update({ owner, repo, pull_number: pr.number, title: opts.title, body: opts.body }));
      return { number: data.number, url: data.html_url, action: 'updated' };
    }
    const { data } = await this.call(`opening a pull request ${opts.head} → ${opts.base}`, () => this.api.rest.pulls.create({ owner, repo, head: opts.head, base: opts.base, title: opts.title, body: opts.body }));
    return { number: data.number, url: data.html_url, action: 'created' };
  }
}

/** Kept here too for callers that took it from github.ts (it lives in scm.ts, which loads no API library). */
export { worst };
