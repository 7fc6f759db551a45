/** The forge interface on GitHub's REST API (@octokit/rest); GHES works through `apiUrl`. */
import { Octokit } from '@octokit/rest';
import { KilnError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { registerSecret } from '../log/redact.js';
import { forgeCall, forgeError } from './errors.js';
import type { CommentResult, CommitState, PrComment, PullRequestResult, Scm } from './scm.js';

export interface GitHubOptions {
  apiUrl: string;
  /** owner/repo */
  repo: string;
  token: string;
  logger?: Logger;
}

export class GitHubScm implements Scm {
  readonly kind = 'github' as const;
  private readonly api: InstanceType<typeof Octokit>;
  private readonly owner: string;
  private readonly repo: string;

  constructor(o: GitHubOptions) {
    const m = /^([^/\s]+)\/([^/\s]+)$/.exec(o.repo);
    if (!m) throw new KilnError(`GitHub repository "${o.repo}" is not owner/repo`, { hint: 'set GITHUB_REPOSITORY or pass --forge-repo owner/repo' });
    [this.owner, this.repo] = [m[1]!, m[2]!];
    registerSecret(o.token);
    const quiet = () => undefined;
    const log = o.logger;
    this.api = new Octokit({
      auth: o.token,
      baseUrl: o.apiUrl.replace(/\/+$/, ''),
      userAgent: 'kiln',
      log: { debug: quiet, info: quiet, warn: (m: string) => log?.warn(`github: ${m}`), error: (m: string) => log?.debug(`github: ${m}`) },
    });
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return forgeCall('GitHub', what, fn);
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
      if ((e as { status?: number }).status !== 403) throw forgeError('GitHub', `reading check runs of ${sha.slice(0, 12)}`, e);
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

export function worst(states: CommitState[]): CommitState {
  if (!states.length) return 'missing';
  if (states.includes('failure')) return 'failure';
  if (states.includes('pending')) return 'pending';
  return 'success';
}
