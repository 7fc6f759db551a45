/** A GitLab API v4 on 127.0.0.1 for project 42 and its merge request !7: notes, commit statuses, merge requests; anything else is recorded as unexpected. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Req { method: string; path: string; query: Record<string, string>; body?: Record<string, unknown>; headers: http.IncomingHttpHeaders }

export class FakeGitLab {
  readonly requests: Req[] = [];
  readonly unexpected: string[] = [];
  notes: Array<{ id: number; body: string; system: boolean }> = [];
  statuses: Array<{ id: number; name: string; status: string }> = [];
  mrs: Array<{ iid: number; source_branch: string; target_branch: string; title: string; description: string; state: string }> = [];
  private server = http.createServer((q, s) => void this.handle(q, s));
  url = '';
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v4`;
    return this;
  }
  stop = () => new Promise<void>((r) => this.server.close(() => r()));
  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let text = '';
    for await (const c of req) text += String(c);
    const u = new URL(req.url ?? '/', 'http://x');
    const r: Req = { method: req.method!, path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, ...(text ? { body: JSON.parse(text) as Record<string, unknown> } : {}) };
    this.requests.push(r);
    const send = (status: number, data: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(data));
    };
    const p = u.pathname;
    const mr = (m: FakeGitLab['mrs'][number]) => ({ ...m, web_url: `https://gitlab.example/acme/fleet/-/merge_requests/${m.iid}` });
    let m: RegExpExecArray | null;
    if (r.method === 'GET' && p === '/api/v4/projects/42/merge_requests/7/notes') return send(200, this.notes);
    if (r.method === 'POST' && p === '/api/v4/projects/42/merge_requests/7/notes') {
      const n = { id: 500 + this.notes.length, body: String(r.body?.body), system: false };
      this.notes.push(n);
      return send(201, n);
    }
    if (r.method === 'PUT' && (m = /^\/api\/v4\/projects\/42\/merge_requests\/7\/notes\/(\d+)$/.exec(p))) {
      const n = this.notes.find((x) => x.id === Number(m![1]))!;
      n.body = String(r.body?.body);
      return send(200, n);
    }
    if (r.method === 'GET' && (m = /^\/api\/v4\/projects\/42\/repository\/commits\/(\w+)\/statuses$/.exec(p))) return send(200, this.statuses.filter((s) => !u.searchParams.get('name') || s.name === u.searchParams.get('name')));
    if (r.method === 'GET' && p === '/api/v4/projects/42/merge_requests') return send(200, this.mrs.filter((x) => x.state === u.searchParams.get('state') && x.source_branch === u.searchParams.get('source_branch') && x.target_branch === u.searchParams.get('target_branch')).map(mr));
    if (r.method === 'POST' && p === '/api/v4/projects/42/merge_requests') {
      const x = { iid: this.mrs.length + 1, source_branch: String(r.body?.source_branch), target_branch: String(r.body?.target_branch), title: String(r.body?.title), description: String(r.body?.description), state: 'opened' };
      this.mrs.push(x);
      return send(201, mr(x));
    }
    if (r.method === 'PUT' && (m = /^\/api\/v4\/projects\/42\/merge_requests\/(\d+)$/.exec(p))) {
      const x = this.mrs.find((y) => y.iid === Number(m![1]))!;
      Object.assign(x, { title: r.body?.title ?? x.title, description: r.body?.description ?? x.description });
      return send(200, mr(x));
    }
    this.unexpected.push(`${r.method} ${p}`);
    send(404, { message: '404 Not Found' });
  }
}
