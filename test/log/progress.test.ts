import { describe, expect, it } from 'vitest';
import { liveTerminal, Progress, secs } from '../../src/log/progress.js';

/** A Progress on a clock the test moves by hand (no timers are waited for). */
function harness(opts: { live?: boolean; enabled?: boolean; columns?: number } = {}) {
  let now = 1_000;
  const out: string[] = [];
  const p = new Progress({ write: (s) => void out.push(s), live: opts.live ?? false, enabled: opts.enabled ?? true, columns: () => opts.columns, now: () => now, everyMs: 5000 });
  return { p, out, text: () => out.join(''), advance: (ms: number) => void (now += ms) };
}

describe('progress, plain lines (CI)', () => {
  it('says when a stage starts, its count at most every tenth, and when it ends, with no escape codes', () => {
    const h = harness();
    const s = h.p.stage('render head', { total: 100, unit: 'clusters' });
    for (let i = 1; i <= 100; i++) {
      h.advance(10);
      s.count(i);
    }
    s.end('100 cluster(s), 420 objects');
    const lines = h.text().split('\n').filter(Boolean);
    expect(lines[0]).toBe('render head: started, 0/100 clusters');
    // one line per tenth crossed (10 … 90), none for each of the 100 clusters
    expect(lines.filter((l) => /^render head: \d+\/100 clusters$/.test(l))).toHaveLength(9);
    expect(lines.at(-1)).toBe('render head: done, 100 cluster(s), 420 objects in 1.0s');
    expect(h.text()).not.toMatch(/\x1b/);
  });

  it('speaks up after a silence even between tenths, naming the slowest tool running and for how long', () => {
    const h = harness();
    h.p.knowTools({ helm: { path: '/opt/tools/helm3' } });
    const s = h.p.stage('render', { total: 1000, unit: 'clusters' });
    h.p.toolStarted('/opt/tools/helm3', ['template', 'web'], 'prod-eu-1/web/web');
    h.advance(2000);
    h.p.toolStarted('/usr/bin/kustomize', ['build', 'x'], 'dev/ns/base');
    h.advance(4000);
    s.count(3);
    expect(h.out.at(-1)).toBe('render: 3/1000 clusters; helm prod-eu-1/web/web running 6.0s (+1 more)\n');
    h.advance(100);
    s.count(4); // just spoke: quiet again until the next tenth or the next silence
    expect(h.out.at(-1)).toBe('render: 3/1000 clusters; helm prod-eu-1/web/web running 6.0s (+1 more)\n');
  });

  it('sums tool processes by tool (helm3 counted as the helm it serves), cache hits, and stage durations', () => {
    const h = harness();
    h.p.knowTools({ helm: { path: '/opt/tools/helm3' }, kustomize: { path: '/opt/k/kustomize' } });
    const plan = h.p.stage('plan');
    h.advance(200);
    plan.end();
    const r = h.p.stage('render', { total: 2 });
    const a = h.p.toolStarted('/opt/tools/helm3', ['template']);
    const b = h.p.toolStarted('/opt/k/kustomize', ['build']);
    h.advance(1500);
    a(false);
    b(true);
    const c = h.p.toolStarted('/opt/tools/helm3', ['template']);
    h.advance(500);
    c(false);
    c(false); // told twice: counted once
    h.p.cacheHit('renders from the render cache');
    h.p.cacheHit('renders from the render cache');
    r.end();
    h.p.stage('push').end('3 branch(es)');
    expect(h.p.tools.get('helm')).toEqual({ runs: 2, ms: 2000, failed: 0 });
    expect(h.p.tools.get('kustomize')).toEqual({ runs: 1, ms: 1500, failed: 1 });
    expect(h.p.summary()).toEqual([
      'timing: 2.2s in all; plan 0.2s, render 2.0s, push 0.0s',
      'tool processes: helm 2 run(s) 2.0s, kustomize 1 run(s) 1.5s (1 failed)',
      'cache: 2 renders from the render cache',
    ]);
    h.p.finish({ summary: true });
    expect(h.text()).toContain('tool processes: helm 2 run(s) 2.0s');
  });

  it('logs every tool run at debug with its argv (redacted) and duration', () => {
    const h = harness();
    const debug: string[] = [];
    h.p.debug = (l) => void debug.push(l);
    const done = h.p.toolStarted('/usr/bin/helm', ['pull', 'oci://r/c', '--password', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'], 'dev/web/web');
    h.advance(321);
    done(false);
    expect(debug).toHaveLength(1);
    expect(debug[0]).toMatch(/^ran \/usr\/bin\/helm pull oci:\/\/r\/c --password \S+ \(dev\/web\/web\): 321 ms$/);
    expect(debug[0]).not.toContain('ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  });

  it('shows the values tools get as key=value arguments only by their length (they may be credentials)', () => {
    const h = harness();
    const debug: string[] = [];
    h.p.debug = (l) => void debug.push(l);
    h.p.toolStarted('/usr/bin/jsonnet', ['main.jsonnet', '--ext-str', 'password=hunter22', '--tla-code=cfg={"a":1}', '-J', 'lib', '--ext-code', 'noequals'])(false);
    h.p.toolStarted('/usr/bin/ytt', ['-f', 'x', '--data-value', 'token=abc=def'])(false);
    expect(debug[0]).toMatch(/^ran \/usr\/bin\/jsonnet main\.jsonnet --ext-str password=<8 chars> --tla-code=cfg=<7 chars> -J lib --ext-code noequals: \d+ ms$/);
    expect(debug[1]).toMatch(/^ran \/usr\/bin\/ytt -f x --data-value token=<7 chars>: \d+ ms$/);
  });

  it('is silent when disabled (log level warn and above) and prints no summary for a run without stages', () => {
    const quiet = harness({ enabled: false });
    quiet.p.stage('render', { total: 3 }).end();
    quiet.p.finish({ summary: true });
    expect(quiet.out).toEqual([]);
    const none = harness();
    none.p.finish({ summary: true });
    expect(none.out).toEqual([]);
  });
});

describe('progress, live (a terminal)', () => {
  it('redraws one status line in place, prints log lines and finished stages above it, and clears it at the end', () => {
    const h = harness({ live: true, columns: 100 });
    const s = h.p.stage('render base main@1a2b3c4d5e6f', { total: 5, unit: 'clusters' });
    // shown at once, before any cluster is done
    expect(h.text()).toMatch(/^\r\x1b\[2K\S render base main@1a2b3c4d5e6f 0\/5 clusters 0\.0s$/);
    h.p.toolStarted('/usr/bin/helm', ['template'], 'prod-eu-1/web/web');
    h.advance(1200);
    s.count(2);
    h.p.line('warn: something');
    const afterWarn = h.text();
    // the status line was drawn, then cleared for the log line, then drawn again below it
    expect(afterWarn).toMatch(/\r\x1b\[2K\S render base main@1a2b3c4d5e6f 2\/5 clusters 1\.2s · helm prod-eu-1\/web\/web running 1\.2s\r\x1b\[2Kwarn: something\n\r\x1b\[2K\S render base/);
    // no plain lines on a terminal: counts live in the status line only
    expect(afterWarn).not.toContain('started');
    s.end('5 cluster(s)');
    expect(h.text()).toContain('✓ render base main@1a2b3c4d5e6f: done, 5 cluster(s) in 1.2s\n');
    h.p.finish({ summary: true });
    expect(h.text().endsWith('done, 5 cluster(s) in 1.2s\ntiming: 1.2s in all; render base main@1a2b3c4d5e6f 1.2s\ntool processes: none\ncache: no hits\n')).toBe(true);
  });

  it('fits the status line to the terminal', () => {
    const h = harness({ live: true, columns: 40 });
    h.p.stage('render head (work tree)', { total: 10_000, unit: 'clusters' });
    h.p.toolStarted('/usr/bin/helm', ['template'], 'a-very-long-cluster-name/profile/component');
    h.advance(100);
    h.p.line('x');
    const frames = h.text().split('\r\x1b[2K').filter((f) => f && !f.includes('\n'));
    expect(frames.length).toBeGreaterThan(1);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(39);
    expect(frames.at(-1)).toMatch(/…$/);
  });

  it('is used only on a terminal that takes escape codes', () => {
    expect(liveTerminal(true, {})).toBe(true);
    expect(liveTerminal(false, {})).toBe(false);
    expect(liveTerminal(undefined, {})).toBe(false);
    expect(liveTerminal(true, { NO_COLOR: '1' })).toBe(false);
    expect(liveTerminal(true, { NO_COLOR: '' })).toBe(true);
    expect(liveTerminal(true, { TERM: 'dumb' })).toBe(false);
  });

  it('formats durations', () => {
    expect(secs(0)).toBe('0.0s');
    expect(secs(1234)).toBe('1.2s');
    expect(secs(123_000)).toBe('2m03s');
  });
});
