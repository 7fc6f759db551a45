/** The forge interface on GitLab's REST API v4 (@gitbeaker/rest); self-managed works through `apiUrl`. */
import { Gitlab } from '@gitbeaker/rest';
import { registerSecret } from '../log/redact.js';
import { forgeCall, forgeTimeoutMs, type ForgeContext } from './errors.js';
import { worst, type CommentResult, type CommitState, type PrComment, type PullRequestResult, type Scm } from './scm.js';

export interface GitLabOptions {
  /** The v4 API root, as CI_API_V4_URL: https://gitlab.example.com/api/v4 */
  apiUrl: string;
  /** Project id or full path (group/project). */
  project: string;
  token: string;
  /** CI_JOB_TOKEN goes in JOB-TOKEN, a personal/project token in PRIVATE-TOKEN. */
  tokenKind: 'private' | 'job';
  /** Where the token came from (GITLAB_TOKEN, CI_JOB_TOKEN…), for the hint when it is refused. */
  tokenName?: string;
}

const PENDING = new Set(['pending', 'running', 'created', 'waiting_for_resource', 'preparing', 'scheduled', 'manual']);

export class GitLabScm implements Scm {
  readonly kind = 'gitlab' as const;
  private readonly api: InstanceType<typeof Gitlab>;
  private readonly project: string | number;
  private readonly ctx: ForgeContext;

  constructor(o: GitLabOptions) {
    registerSecret(o.token);
    this.ctx = { forge: 'GitLab', tokenName: o.tokenName ?? (o.tokenKind === 'job' ? 'CI_JOB_TOKEN' : 'GITLAB_TOKEN'), timeoutMs: forgeTimeoutMs(), apiUrl: o.apiUrl };
    const url = o.apiUrl.replace(/\/+$/, '');
    // gitbeaker appends /api/v4 to `host` itself
    const host = url.replace(/\/api\/v4$/, '');
    // gitbeaker's own rate limiting (its per-endpoint defaults) stays on; it retries 429 and 502 itself
    this.api = new Gitlab({ host, ...(o.tokenKind === 'job' ? { jobToken: o.token } : { token: o.token }), queryTimeout: this.ctx.timeoutMs });
    this.project = /^\d+$/.test(o.project) ? Number(o.project) : o.project;
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return forgeCall(this.ctx, what, fn);
  }

  async upsertComment(number: number, marker: string, body: string): Promise<CommentResult> {
    const text = body.includes(marker) ? body : `${marker}\n${body}`;
    const notes = await this.call(`listing notes of !${number}`, () => this.api.MergeRequestNotes.all(this.project, number, { perPage: 100 }));
    const mine = notes.find((n) => !n.system && typeof n.body === 'string' && n.body.includes(marker));
    if (mine) {
      const note = await this.call(`updating note ${mine.id} on !${number}`, () => this.api.MergeRequestNotes.edit(this.project, number, mine.id, { body: text }));
      return { id: String(note.id), action: 'updated' };
    }
    const note = await this.call(`commenting on !${number}`, () => this.api.MergeRequestNotes.create(this.project, number, text));
    return { id: String(note.id), action: 'created' };
  }

  async listComments(number: number): Promise<PrComment[]> {
    const notes = await this.call(`listing notes of !${number}`, () => this.api.MergeRequestNotes.all(this.project, number, { perPage: 100 }));
    return notes.filter((n) => !n.system && typeof n.body === 'string').map((n) => ({ id: String(n.id), body: String(n.body) }));
  }

  async createComment(number: number, body: string): Promise<PrComment> {
    const n = await this.call(`commenting on !${number}`, () => this.api.MergeRequestNotes.create(this.project, number, body));
    return { id: String(n.id), body: String(n.body) };
  }

  async updateComment(number: number, id: string, body: string): Promise<PrComment> {
    const n = await this.call(`updating note ${id} on !${number}`, () => this.api.MergeRequestNotes.edit(this.project, number, Number(id), { body }));
    return { id: String(n.id), body: String(n.body) };
  }

  async deleteComment(number: number, id: string): Promise<void> {
    await this.call(`deleting note ${id} on !${number}`, () => this.api.MergeRequestNotes.remove(this.project, number, Number(id)));
  }

  /** Pipeline job and external statuses named `context`; retries leave several, the newest counts. */
  async commitState(sha: string, context: string): Promise<CommitState> {
    const statuses = await this.call(`reading statuses of ${sha.slice(0, 12)}`, () => this.api.Commits.allStatuses(this.project, sha, { name: context, all: true }));
    const latest = statuses.filter((s) => s.name === context).sort((a, b) => Number(b.id) - Number(a.id))[0];
    if (!latest) return 'missing';
    const s = String(latest.status);
    return worst([s === 'success' ? 'success' : PENDING.has(s) ? 'pending' : 'failure']);
  }

  async upsertPullRequest(opts: { head: string; base: string; title: string; body: string }): Promise<PullRequestResult> {
    const open = await this.call(`listing merge requests from ${opts.head}`, () => this.api.MergeRequests.all({ projectId: this.project, sourceBranch: opts.head, targetBranch: opts.base, state: 'opened' }));
    const mr = open[0];
    if (mr) {
      const r = await this.call(`updating merge request !${mr.iid}`, () => this.api.MergeRequests.edit(this.project, mr.iid, { title: opts.title, description: opts.body }));
      return { number: r.iid, url: String(r.web_url), action: 'updated' };
    }
    const r = await this.call(`opening a merge request ${opts.head} → ${opts.base}`, () => this.api.MergeRequests.create(this.project, opts.head, opts.base, opts.title, { description: opts.body }));
    return { number: r.iid, url: String(r.web_url), action: 'created' };
  }
}
