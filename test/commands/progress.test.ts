/**
 * What kiln says on stderr while it works: stage lines and a timing summary without a terminal (CI),
 * a live status line on one (a real pseudo-terminal), every tool run at debug; stdout untouched.
 */
import pty from '@lydell/node-pty';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln, withoutProgress } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, writeFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { kilnBin } from '../helpers/spawn.js';
import { tmp } from '../helpers/tools.js';

const ESC = /\x1b/;

describe('progress and timing on stderr', () => {
  let repo: FleetRepo;
  const saved = { cache: process.env.KILN_CACHE_DIR, render: process.env.KILN_RENDER_CACHE, worker: process.env.KILN_RENDER_WORKER };
  beforeAll(() => {
    repo = makeFleetRepo();
    process.env.KILN_CACHE_DIR = tmp('kiln-progress-cache-'); // a cold cache: tools really run
    // jsonnet as a process of its own: the render workers answer without one, so nothing to count
    process.env.KILN_RENDER_WORKER = 'off';
  });
  afterAll(() => {
    repo.cleanup();
    for (const [k, v] of [['KILN_CACHE_DIR', saved.cache], ['KILN_RENDER_CACHE', saved.render], ['KILN_RENDER_WORKER', saved.worker]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('without a terminal: a line when each stage starts and ends, render counts from 0/N on, then the timing summary; --json on stdout unchanged', async () => {
    const r = await kiln('render', '--cwd', repo.fleet, '--out', tmp(), '--json', '--concurrency', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).clusters).toHaveLength(6); // nothing of the progress on stdout
    expect(r.stderr).not.toMatch(ESC);
    const lines = r.stderr.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    // the render stage is announced before any cluster is done, and its end says how long it took
    expect(at(/^plan: started$/)).toBe(0);
    expect(at(/^plan: done, 6 cluster\(s\), tools helm, jsonnet, kustomize, ytt in \d+\.\ds$/)).toBe(1);
    expect(at(/^render: started, 0\/6 clusters$/)).toBe(2);
    const end = at(/^render: done, 6 cluster\(s\), \d+ objects in \d+\.\ds$/);
    expect(end).toBeGreaterThan(2);
    expect(lines.slice(3, end).filter((l) => l.startsWith('render: ')).every((l) => /^render: [1-5]\/6 clusters(; \S+ .+ running \d+\.\ds( \(\+\d+ more\))?)?$/.test(l))).toBe(true);
    // the summary: stages with durations, tool processes by tool, cache hits
    expect(r.stderr).toMatch(/\ntiming: \d+\.\ds in all; plan \d+\.\ds, render \d+\.\ds\n/);
    const tools = /\ntool processes: (.+)\n/.exec(r.stderr)?.[1] ?? '';
    for (const t of ['helm', 'kustomize', 'jsonnet', 'ytt']) expect(tools).toMatch(new RegExp(`(^|, )${t} \\d+ run\\(s\\) \\d+\\.\\ds`));
    expect(r.stderr).toMatch(/\ncache: \d+ renders shared between clusters\n$/);    // the tests' filter for progress lines knows every one of them: only the warnings are left
    expect(withoutProgress(r.stderr).split('\n').filter(Boolean).every((l) => l.startsWith('warn: '))).toBe(true);
  });

  it('a second run says where its results came from: the render cache, no tool process', async () => {
    const r = await kiln('render', '--cwd', repo.fleet, '--out', tmp());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('\ntool processes: none\n');
    expect(r.stderr).toMatch(/\ncache: .*\d+ renders from the render cache/);
  });

  it('--log-level debug logs every tool run with its argv and duration', async () => {
    process.env.KILN_RENDER_CACHE = 'off';
    try {
      const r = await kiln('render', '--cwd', repo.fleet, '--out', tmp(), '--cluster', 'prod-eu-1', '--log-level', 'debug');
      expect(r.code, r.stderr).toBe(0);
      const runs = r.stderr.split('\n').filter((l) => l.startsWith('debug: ran '));
      expect(runs.find((l) => /^debug: ran \S*\/helm3? template web \S+\/charts\/web --namespace web --kube-version 1\.31\.4 .* \(prod-eu-1\/web\/web\): \d+ ms$/.test(l))).toBeDefined();
      expect(runs.find((l) => /^debug: ran \S*\/kustomize build \S+ \(profile "web" on cluster "prod-eu-1"\): \d+ ms$/.test(l))).toBeDefined();
      expect(runs.find((l) => /^debug: ran \S*\/jsonnet .*--ext-str cluster=<9 chars> .*\(prod-eu-1\/policies\/quotas\): \d+ ms$/.test(l))).toBeDefined();
      // as many debug lines as tool processes counted in the summary
      const counted = [...(/\ntool processes: (.+)\n/.exec(r.stderr)?.[1] ?? '').matchAll(/ (\d+) run\(s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(runs).toHaveLength(counted);
    } finally {
      delete process.env.KILN_RENDER_CACHE;
    }
  });

  it('jsonnet answered by a render worker counts and logs as a `jsonnet (worker)` run', async () => {
    delete process.env.KILN_RENDER_WORKER; // the worker setup builds into the tools dir
    process.env.KILN_RENDER_CACHE = 'off';
    try {
      const r = await kiln('render', '--cwd', repo.fleet, '--out', tmp(), '--cluster', 'prod-eu-1', '--log-level', 'debug');
      expect(r.code, r.stderr).toBe(0);
      const runs = r.stderr.split('\n').filter((l) => l.startsWith('debug: ran '));
      expect(runs.find((l) => /^debug: ran jsonnet \(worker\) .*--ext-str cluster=<9 chars> .*\(prod-eu-1\/policies\/quotas\): \d+ ms$/.test(l)), runs.join('\n')).toBeDefined();
      expect(runs.some((l) => /^debug: ran \S*\/jsonnet /.test(l))).toBe(false); // no CLI process beside it
      const tools = /\ntool processes: (.+)\n/.exec(r.stderr)?.[1] ?? '';
      expect(tools).toMatch(/(^|, )jsonnet \(worker\) [1-9]\d* run\(s\) \d+\.\ds/);
      const counted = [...tools.matchAll(/ (\d+) run\(s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
      expect(runs).toHaveLength(counted);
    } finally {
      delete process.env.KILN_RENDER_CACHE;
      process.env.KILN_RENDER_WORKER = 'off';
    }
  });

  it('diff --base names each side it renders', async () => {
    const base = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    writeFile(repo.fleet, 'values/web/common.yaml', `${readFileSync(path.join(repo.fleet, 'values/web/common.yaml'), 'utf8')}\n# touched\n`);
    let r;
    try {
      r = await kiln('diff', '--cwd', repo.fleet, '--base', 'HEAD', '--env', 'dev');
    } finally {
      gitIn(repo.fleet, 'checkout', '--', '.');
    }
    expect(r.code, r.stderr).toBe(0);
    const short = base.slice(0, 12);
    expect(r.stderr).toMatch(/^render head \(work tree\): started, 0\/2 clusters$/m);
    expect(r.stderr).toMatch(/^render head \(work tree\): done, 2 cluster\(s\)/m);
    expect(r.stderr).toMatch(new RegExp(`^render base HEAD@${short}: started, 0/2 clusters$`, 'm'));
    expect(r.stderr).toMatch(new RegExp(`^render base HEAD@${short}: done, 2 cluster\\(s\\)`, 'm'));
    const timing = /\ntiming: (.+)\n/.exec(r.stderr)?.[1] ?? '';
    for (const stage of ['plan head', 'render head (work tree)', `plan base HEAD@${short}`, `render base HEAD@${short}`]) expect(timing).toContain(`${stage} `);
  });

  it('publish: fetch, write and push are stages of their own', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--env', 'dev');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^fetch: done, 0 of 2 branch head\(s\) fetched in \d+\.\ds$/m);
    expect(r.stderr).toMatch(/^write: started, 0\/2 commits\n(.*\n)*write: done, 2 commit\(s\) in/m);
    expect(r.stderr).toMatch(/^push: done, 2 branch\(es\) in \d+\.\ds$/m);
    expect(r.stderr).toMatch(/\ntiming: .*plan \d+\.\ds, fetch \d+\.\ds, render \d+\.\ds, write \d+\.\ds, push \d+\.\ds\n/);
  });

  it('--log-level warn: no progress, no summary', async () => {
    const r = await kiln('render', '--cwd', repo.fleet, '--out', tmp(), '--log-level', 'warn');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/render:|timing:/);
  });
});

/** kiln in a real pseudo-terminal: stdout and stderr both go to the terminal, as in a shell. */
function inTerminal(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = pty.spawn(process.execPath, [kilnBin, ...args], { cols: 120, rows: 30, env: { ...process.env, TERM: 'xterm-256color', ...env } as Record<string, string> });
    let out = '';
    p.onData((d) => void (out += d));
    p.onExit(({ exitCode }) => resolve({ code: exitCode, out }));
  });
}

describe('progress on a terminal', () => {
  let repo: FleetRepo;
  beforeAll(() => void (repo = makeFleetRepo()));
  afterAll(() => repo.cleanup());
  const env = () => ({ KILN_CACHE_DIR: tmp('kiln-pty-cache-'), NO_COLOR: '' });

  it('draws a live status line (stage, count, the tool running), finished stages above it, and the summary', async () => {
    const r = await inTerminal(['render', '--cwd', repo.fleet, '--out', tmp()], env());
    expect(r.code, r.out).toBe(0);
    // redrawn in place: carriage return + erase line, then the stage with its count
    expect(r.out).toMatch(/\r\x1b\[2K\S render 0\/6 clusters \d+\.\ds/);
    expect(r.out).toMatch(/\r\x1b\[2K\S render [0-5]\/6 clusters \d+\.\ds · (helm|kustomize|jsonnet|ytt) \S+ running \d+\.\ds/);
    // finished stages stay, ticked
    expect(r.out).toMatch(/✓ plan: done, 6 cluster\(s\)/);
    expect(r.out).toMatch(/✓ render: done, 6 cluster\(s\), \d+ objects in \d+\.\ds/);
    // no plain progress lines on a terminal, and the live line is gone before the summary and the data
    expect(r.out).not.toContain('render: started');
    expect(r.out).toMatch(/\ntiming: \d+\.\ds in all; plan \d+\.\ds, render \d+\.\ds\r?\n/);
    expect(r.out.slice(r.out.indexOf('timing:'))).not.toMatch(ESC);
    // the data (stdout, the same terminal here) is whole lines, never torn by the live line
    expect(r.out).toMatch(/\n(\r\x1b\[2K)?rendered 6 cluster\(s\), \d+ objects into [^\x1b\n]+\r?\n/);
  });

  it('NO_COLOR or TERM=dumb: plain lines, not one escape code', async () => {
    for (const extra of [{ NO_COLOR: '1' }, { TERM: 'dumb' }] as Array<Record<string, string>>) {
      const r = await inTerminal(['render', '--cwd', repo.fleet, '--out', tmp()], { ...env(), ...extra });
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toMatch(ESC);
      expect(r.out).toMatch(/render: started, 0\/6 clusters\r?\n/);
      expect(r.out).toMatch(/timing: \d+\.\ds in all/);
    }
  });
});
