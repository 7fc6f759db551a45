/**
 * A GitHub REST API on 127.0.0.1 that checks every request against GitHub's own OpenAPI description
 * (the operations kiln uses, cut from @octokit/openapi into github-openapi.subset.json): unknown
 * routes, bad path/query parameters and request bodies that break the schema are recorded as
 * violations and answered 404/422, as GitHub would.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterEach, beforeEach, expect } from 'vitest';
import { GitHubScm } from '../../src/scm/github.js';

interface Op {
  operationId: string;
  parameters: Array<{ name: string; in: string; required?: boolean; schema: Record<string, unknown> }>;
  requestBody?: Record<string, unknown>;
}

const spec = JSON.parse(readFileSync(new URL('./github-openapi.subset.json', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, Op>> };
const ajv = new Ajv({ strict: false, allErrors: true });
(addFormatsModule as unknown as (a: Ajv) => void)(ajv);
const routes = Object.entries(spec.paths).flatMap(([tpl, ops]) =>
  Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(),
    re: new RegExp('^' + tpl.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)') + '$'),
    op,
    body: op.requestBody ? ajv.compile(op.requestBody) : undefined,
    params: new Map<string, ValidateFunction>(op.parameters.map((p) => [`${p.in}:${p.name}`, ajv.compile(p.schema)])),
  })),
);

export interface Recorded {
  method: string;
  path: string;
  operationId?: string;
  query: Record<string, string>;
  body?: unknown;
  authorization?: string;
}

export interface Comment { id: number; issue: number; body: string; user: string }

export class FakeGitHub {
  readonly requests: Recorded[] = [];
  readonly violations: string[] = [];
  readonly comments: Comment[] = [];
  readonly statuses = new Map<string, Array<{ context: string; state: string }>>();
  readonly checkRuns = new Map<string, Array<{ name: string; status: string; conclusion: string | null }>>();
  readonly pulls: Array<{ number: number; head: string; base: string; title: string; body: string; state: string }> = [];
  /** Answer every request with this status and message (auth failures). */
  failWith?: { status: number; message: string };
  /** Awaited before a recorded request is answered: a test holds one to interrupt kiln while it waits. */
  hold?: (rec: Recorded) => Promise<void> | undefined;
  private server = http.createServer((req, res) => void this.handle(req, res));
  private nextId = 1000;
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', this.url);
    const text = Buffer.concat(chunks).toString('utf8');
    const rec: Recorded = { method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), authorization: req.headers.authorization, ...(text ? { body: JSON.parse(text) } : {}) };
    this.requests.push(rec);
    await this.hold?.(rec);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(data));
    };
    if (this.failWith) return send(this.failWith.status, { message: this.failWith.message });
    const route = routes.map((r) => ({ r, m: r.method === rec.method ? r.re.exec(u.pathname) : null })).find((x) => x.m);
    if (!route) {
      this.violations.push(`${rec.method} ${u.pathname}: no such operation in GitHub's API description`);
      return send(404, { message: 'Not Found' });
    }
    const { r, m } = route;
    rec.operationId = r.op.operationId;
    const problems: string[] = [];
    for (const p of r.op.parameters) {
      const raw = p.in === 'path' ? m!.groups?.[p.name] : p.in === 'query' ? u.searchParams.get(p.name) ?? undefined : undefined;
      if (p.in !== 'path' && p.in !== 'query') continue;
      if (raw === undefined) {
        if (p.required) problems.push(`missing ${p.in} parameter ${p.name}`);
        continue;
      }
      const t = p.schema.type;
      const value = t === 'integer' || t === 'number' ? Number(raw) : t === 'boolean' ? raw === 'true' : decodeURIComponent(raw);
      if (!r.params.get(`${p.in}:${p.name}`)!(value)) problems.push(`${p.in} parameter ${p.name}=${raw} breaks its schema`);
    }
    for (const k of u.searchParams.keys()) if (!r.op.parameters.some((p) => p.in === 'query' && p.name === k)) problems.push(`unknown query parameter ${k}`);
    if (r.body && !r.body(rec.body ?? {})) problems.push(`body: ${ajv.errorsText(r.body.errors)}`);
    if (!r.body && rec.body !== undefined) problems.push('a body where the operation takes none');
    if (problems.length) {
      this.violations.push(`${r.op.operationId}: ${problems.join('; ')}`);
      return send(422, { message: 'Validation Failed' });
    }
    const g = m!.groups ?? {};
    const body = (rec.body ?? {}) as Record<string, string>;
    const html = (n: number, id?: number) => `https://github.example/${g.owner}/${g.repo}/pull/${n}${id ? `#issuecomment-${id}` : ''}`;
    const comment = (c: Comment) => ({ id: c.id, body: c.body, html_url: html(c.issue, c.id), user: { login: c.user } });
    const pull = (p: FakeGitHub['pulls'][number]) => ({ number: p.number, html_url: html(p.number), title: p.title, body: p.body, state: p.state, head: { ref: p.head }, base: { ref: p.base } });
    switch (r.op.operationId) {
      case 'issues/list-comments': {
        const all = this.comments.filter((c) => c.issue === Number(g.issue_number));
        const per = Number(u.searchParams.get('per_page') ?? 30);
        const page = Number(u.searchParams.get('page') ?? 1);
        if (page * per < all.length) res.setHeader('link', `<${this.url}${u.pathname}?per_page=${per}&page=${page + 1}>; rel="next"`);
        return send(200, all.slice((page - 1) * per, page * per).map(comment));
      }
      case 'issues/create-comment': {
        const c = { id: ++this.nextId, issue: Number(g.issue_number), body: body.body!, user: 'github-actions[bot]' };
        this.comments.push(c);
        return send(201, comment(c));
      }
      case 'issues/update-comment': {
        const c = this.comments.find((x) => x.id === Number(g.comment_id));
        if (!c) return send(404, { message: 'Not Found' });
        c.body = body.body!;
        return send(200, comment(c));
      }
      case 'issues/delete-comment': {
        const i = this.comments.findIndex((x) => x.id === Number(g.comment_id));
        if (i < 0) return send(404, { message: 'Not Found' });
        this.comments.splice(i, 1);
        res.writeHead(204);
        return void res.end();
      }
      case 'repos/get-combined-status-for-ref':
        return send(200, { state: 'pending', sha: g.ref, total_count: 0, statuses: this.statuses.get(g.ref!) ?? [] });
      case 'checks/list-for-ref': {
        const runs = (this.checkRuns.get(g.ref!) ?? []).filter((c) => !u.searchParams.get('check_name') || c.name === u.searchParams.get('check_name'));
        return send(200, { total_count: runs.length, check_runs: runs });
      }
      case 'pulls/list': {
        const [, head] = (u.searchParams.get('head') ?? '').split(':');
        return send(200, this.pulls.filter((p) => p.state === 'open' && (!head || p.head === head) && (!u.searchParams.get('base') || p.base === u.searchParams.get('base'))).map(pull));
      }
      case 'pulls/create': {
        const p = { number: this.pulls.length + 1, head: body.head!, base: body.base!, title: body.title!, body: body.body ?? '', state: 'open' };
        this.pulls.push(p);
        return send(201, pull(p));
      }
      case 'pulls/update': {
        const p = this.pulls.find((x) => x.number === Number(g.pull_number))!;
        Object.assign(p, { title: body.title ?? p.title, body: body.body ?? p.body });
        return send(200, pull(p));
      }
    }
    send(500, { message: `fake has no handler for ${r.op.operationId}` });
  }
}

/**
 * A FakeGitHub per test and a GitHubScm (repo acme/fleet) talking to it; after each test no request
 * may have broken GitHub's OpenAPI description. Call inside a `describe`; read `.gh` and `.scm` in tests.
 */
export function useFakeGitHub(token: string): { gh: FakeGitHub; scm: GitHubScm } {
  const ctx = {} as { gh: FakeGitHub; scm: GitHubScm };
  beforeEach(async () => {
    ctx.gh = await new FakeGitHub().start();
    ctx.scm = new GitHubScm({ apiUrl: ctx.gh.url, repo: 'acme/fleet', token });
  });
  afterEach(async () => {
    expect(ctx.gh.violations).toEqual([]);
    await ctx.gh.stop();
  });
  return ctx;
}
