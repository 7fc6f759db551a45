import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { fixturesFleet, makeFleetRepo, projectRoot, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { launchChromium } from './browser.js';

const CANARY = 'kiln-canary-5ecret-v4lue-91c7';
const CANARY_B64 = Buffer.from(CANARY).toString('base64');
const SHOTS = path.join(projectRoot, 'test-artifacts/report');

/** The fixtures fleet plus a profile that may render a Secret holding the canary (data and stringData). */
function fleetWithSecret(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-report-fleet-'));
  cpSync(fixturesFleet, dir, { recursive: true });
  mkdirSync(path.join(dir, 'manifests/secrets'), { recursive: true });
  writeFileSync(
    path.join(dir, 'manifests/secrets/secret.yaml'),
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-credentials\n  namespace: web\ntype: Opaque\ndata:\n  password: ${CANARY_B64}\nstringData:\n  token: ${CANARY}\n`,
  );
  writeFileSync(
    path.join(dir, 'profiles/secrets.yaml'),
    `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: secrets\nspec:\n  clusters: [dev-eu-1, prod-eu-1]\n  allowSecrets: true\n  dependsOn: [namespaces]\n  components:\n    - name: creds\n      manifests:\n        paths: [manifests/secrets]\n`,
  );
  return dir;
}

interface LsJson {
  clusters: Array<{ name: string; environment: string; profiles: string[] }>;
  profiles: Array<{ name: string }>;
}

describe('kiln report: static site from the published fixtures fleet, in headless Chromium', () => {
  let repo: FleetRepo;
  let src: string;
  let site: string;
  let ls: LsJson;
  let data: {
    clusters: Array<{ name: string; environment: string; published: boolean; profiles: string[]; images: string[]; kinds: Record<string, number>; objects: Array<{ kind: string; name: string }>; health: string; components: Array<{ engine?: string; chart?: string; charts?: string[] }>; tools: Record<string, string>; behind?: number }>;
    images: Array<{ image: string; clusters: string[] }>;
    environments: Array<{ name: string; clusters: Array<{ cluster: string; sourceCommit?: string; behind?: number; health: string }> }>;
  };
  let browser: Browser;
  let page: Page;
  const inPage = <T = unknown>(expr: string) => page.evaluate(expr) as Promise<T>;

  beforeAll(async () => {
    src = fleetWithSecret();
    repo = makeFleetRepo(src);
    const pub = await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error');
    expect(pub.code, pub.stderr).toBe(0);
    ls = JSON.parse((await kiln('ls', '--cwd', repo.fleet, '--json')).stdout) as LsJson;
    site = path.join(repo.dir, 'site');
    const r = await kiln('report', '--out', site, '--cwd', repo.fleet, '--json', '--log-level', 'error');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).clusters).toBe(6);
    data = JSON.parse(readFileSync(path.join(site, 'report.json'), 'utf8'));
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) errors.push(`network request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href);
    await page.waitForSelector('#matrix tbody tr');
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    repo?.cleanup();
    if (src) rmSync(src, { recursive: true, force: true });
  });

  it('report.json: every cluster, what it runs, lag, health unknown without a token, components with versions', () => {
    expect(data.clusters.map((c) => c.name)).toEqual(ls.clusters.map((c) => c.name));
    for (const c of data.clusters) {
      expect(c.published).toBe(true);
      expect(c.profiles).toEqual(ls.clusters.find((l) => l.name === c.name)!.profiles);
      expect(c.health).toBe('unknown');
      expect(c.tools.helm).toMatch(/^v4\./);
    }
    const head = readFileSync(path.join(repo.fleet, '.git/HEAD'), 'utf8');
    expect(head).toContain('refs/heads/main');
    for (const e of data.environments) for (const c of e.clusters) expect(c.sourceCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(data.environments.find((e) => e.name === 'dev')!.clusters.every((c) => c.behind === 0)).toBe(true);
    const devEu = data.clusters.find((c) => c.name === 'dev-eu-1')!;
    expect(devEu.kinds.Deployment).toBe(2);
    expect(devEu.kinds.Secret).toBe(1);
    expect(devEu.objects).toContainEqual(expect.objectContaining({ kind: 'Secret', name: 'db-credentials' }));
    const helm = devEu.components.find((c) => c.engine === 'helm')!;
    expect(helm.chart).toBe('charts/web');
    expect(helm.charts?.[0]).toMatch(/^web-\d/);
    expect(devEu.images).toContain('ghcr.io/example/team-app:1.2.0');
    expect(devEu.images).toContain('quay.io/prometheus/node-exporter:v1.8.2');
    expect(devEu.images).toContain('ghcr.io/example/metrics-sidecar:0.9.0');
    // the image rollup: image → every cluster that runs it
    const sidecar = data.images.find((i) => i.image === 'ghcr.io/example/metrics-sidecar:0.9.0')!;
    expect(sidecar.clusters).toEqual(data.clusters.filter((c) => c.images.includes(sidecar.image)).map((c) => c.name));
    expect(sidecar.clusters.length).toBe(6);
  });

  it('no secret value appears anywhere in the site or report.json (while the branch does hold it)', () => {
    expect(showFile(repo.remote, 'rendered/dev/dev-eu-1', 'manifests/secrets/web--secret--db-credentials.yaml')).toContain(CANARY_B64);
    const files = readdirSync(site);
    expect(files.sort()).toEqual(['index.html', 'report.css', 'report.js', 'report.json']);
    for (const f of files) {
      const text = readFileSync(path.join(site, f), 'utf8');
      expect(text, f).not.toContain(CANARY);
      expect(text, f).not.toContain(CANARY_B64);
      expect(text, f).not.toMatch(/"(data|stringData)"/);
    }
    // the embedded JSON cannot end its <script> early
    const html = readFileSync(path.join(site, 'index.html'), 'utf8');
    const embedded = /<script type="application\/json" id="report-data">([^]*?)<\/script>/.exec(html)![1]!;
    expect(embedded).not.toContain('<');
    expect(JSON.parse(embedded)).toEqual(data);
  });

  it('the matrix shows the right cells for every cluster × profile', async () => {
    // the page's own DOM, evaluated as text (the project's TS has no DOM lib)
    const cells = await inPage<Array<{ cluster: string; on: string[] }>>(
      `Array.from(document.querySelectorAll('#matrix tbody tr')).map((r) => ({
        cluster: r.getAttribute('data-cluster'),
        on: Array.from(r.querySelectorAll('td[data-profile]')).filter((td) => td.getAttribute('data-state') === 'on').map((td) => td.getAttribute('data-profile')),
      }))`,
    );
    expect(cells).toEqual(ls.clusters.map((c) => ({ cluster: c.name, on: c.profiles.slice().sort((a, b) => ls.profiles.findIndex((p) => p.name === a) - ls.profiles.findIndex((p) => p.name === b)) })));
    const headers = await page.$$eval('#matrix thead th', (ths) => ths.map((th) => [th.textContent, th.getAttribute('scope')]));
    expect(headers.map((h) => h[1])).toEqual(headers.map(() => 'col'));
    expect(headers.map((h) => h[0])).toEqual(['Cluster', 'Environment', ...ls.profiles.map((p) => p.name), 'Health']);
    // the secrets profile is on exactly the two clusters it names
    expect(cells.filter((c) => c.on.includes('secrets')).map((c) => c.cluster)).toEqual(['dev-eu-1', 'prod-eu-1']);
    await page.screenshot({ path: path.join(SHOTS, 'matrix.png'), fullPage: true });
  });

  it('accessible: every table has a caption and scoped headers, every control a label', async () => {
    const problems = await inPage<string[]>(`(() => {
      const out = [];
      document.querySelectorAll('table').forEach((t, i) => { if (!t.caption || !t.caption.textContent.trim()) out.push('table ' + i + ' has no caption'); });
      document.querySelectorAll('th').forEach((th) => { if (!['col', 'row'].includes(th.getAttribute('scope'))) out.push('th without scope: ' + th.textContent); });
      document.querySelectorAll('input, select').forEach((c) => { if (!c.labels || !c.labels.length) out.push('unlabelled control #' + c.id); });
      document.querySelectorAll('[role=group]').forEach((g) => { if (!g.getAttribute('aria-label') && !g.getAttribute('aria-labelledby')) out.push('unlabelled group'); });
      document.querySelectorAll('#env-filter button').forEach((b) => { if (b.tagName !== 'BUTTON' || !b.textContent.trim()) out.push('env filter not a named button'); });
      return out;
    })()`);
    expect(problems).toEqual([]);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
  });

  it('filtering by environment works by a click (and by keyboard), and back to all', async () => {
    await page.click('#env-filter button[data-env="prod"]');
    const rows = await page.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')));
    expect(rows).toEqual(ls.clusters.filter((c) => c.environment === 'prod').map((c) => c.name));
    expect(await page.getAttribute('#env-filter button[data-env="prod"]', 'aria-pressed')).toBe('true');
    expect(await page.textContent('#matrix-status')).toContain('3 of 6 clusters in prod');
    await page.screenshot({ path: path.join(SHOTS, 'matrix-prod.png'), fullPage: true });

    await page.focus('#env-filter button[data-env="dev"]');
    await page.keyboard.press('Enter');
    expect(await page.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')))).toEqual(['dev-eu-1', 'dev-us-1']);

    await page.selectOption('#label-filter', 'region=eu');
    expect(await page.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')))).toEqual(['dev-eu-1']);
    await page.selectOption('#label-filter', '');
    await page.click('#env-filter button[data-env=""]');
    expect(await page.locator('#matrix tbody tr').count()).toBe(6);
  });

  it('a cell links to the cluster section, which lists its images, components and objects (no secret data)', async () => {
    const imagesShown = () => page.$$eval('ul[data-images-of="prod-eu-1"] li', (lis) => lis.map((li) => li.textContent));
    await page.click('#matrix tbody tr[data-cluster="prod-eu-1"] th a');
    await page.waitForSelector('#cluster-detail:not([hidden])');
    expect(await page.textContent('#cluster-h')).toBe('Cluster prod-eu-1');
    expect(await inPage('document.activeElement && document.activeElement.id')).toBe('cluster-h');
    const expected = data.clusters.find((c) => c.name === 'prod-eu-1')!.images;
    expect(expected).toEqual(['ghcr.io/example/metrics-sidecar:0.9.0', 'ghcr.io/example/team-app:1.2.0', 'ghcr.io/example/web:2.7.1', 'quay.io/prometheus/node-exporter:v1.8.2']);
    expect(await imagesShown()).toEqual(expected);
    await page.screenshot({ path: path.join(SHOTS, 'cluster-prod-eu-1.png'), fullPage: true });

    await page.click('#matrix tbody tr[data-cluster="prod-eu-1"] td[data-profile="web"] a');
    await page.waitForFunction(`document.getElementById('cluster-h').textContent === 'Cluster prod-eu-1 — profile web'`);
    expect(await imagesShown()).toEqual(['ghcr.io/example/metrics-sidecar:0.9.0', 'ghcr.io/example/web:2.7.1']);
    const objects = await page.textContent('#cluster-body');
    expect(objects).toContain('web--deployment--web.yaml');
    expect(objects).not.toContain('team-app--deployment'); // filtered to the web profile
    await page.screenshot({ path: path.join(SHOTS, 'cluster-prod-eu-1-web.png'), fullPage: true });

    await page.click('#cluster-body a[href="#cluster/prod-eu-1/secrets"]');
    await page.waitForFunction(`document.getElementById('cluster-h').textContent.includes('secrets')`);
    const text = (await page.textContent('#cluster-body'))!;
    expect(text).toContain('db-credentials');
    expect(text).not.toContain(CANARY);
    expect(await page.content()).not.toContain(CANARY);
  });

  it('environments show source commit, lag and health; images roll up; dark mode renders', async () => {
    const prod = await inPage<string[][]>(`Array.from(document.querySelectorAll('#env-tables table[data-environment="prod"] tbody tr')).map((r) => Array.from(r.children).map((c) => c.textContent))`);
    expect(prod.map((r) => r[0])).toEqual(['prod-ap-1', 'prod-eu-1', 'prod-us-1']);
    for (const r of prod) {
      expect(r[3]).toBe('up to date');
      expect(r[4]).toBe('unknown');
    }
    const img = await page.$$eval('#image-table tbody tr', (trs) => trs.map((r) => r.getAttribute('data-image')));
    expect(img).toEqual(data.images.map((i) => i.image));
    await page.fill('#image-filter', 'node-exporter');
    expect(await page.locator('#image-table tbody tr').count()).toBe(1);
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await inPage('getComputedStyle(document.body).backgroundColor');
    expect(bg).toBe('rgb(13, 17, 23)');
    await page.goto(pathToFileURL(path.join(site, 'index.html')).href + '#cluster/dev-eu-1');
    await page.waitForSelector('#cluster-detail:not([hidden])');
    await page.screenshot({ path: path.join(SHOTS, 'cluster-dev-eu-1-dark.png'), fullPage: true });
  });

  it('filters and the open cluster live in the URL: a reload or a shared link restores them, back/forward step through them', async () => {
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    const base = pathToFileURL(path.join(site, 'index.html')).href;
    const rows = () => p.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')));
    const hash = () => p.evaluate('location.hash') as Promise<string>;
    const pressed = () => p.$$eval('#env-filter button[aria-pressed="true"]', (bs) => bs.map((b) => b.getAttribute('data-env')));
    try {
      await p.goto(base);
      await p.waitForSelector('#matrix tbody tr');
      await p.click('#env-filter button[data-env="prod"]');
      expect(await hash()).toBe('#?env=prod');
      await p.selectOption('#label-filter', 'region=eu');
      expect(await hash()).toBe('#?env=prod&label=region%3Deu');
      expect(await rows()).toEqual(['prod-eu-1']);
      // typing replaces the URL, it does not add a history step per key
      const steps = await p.evaluate('history.length');
      await p.fill('#name-filter', 'prod');
      await p.fill('#image-filter', 'nginx');
      expect(await p.evaluate('history.length')).toBe(steps);
      expect(await hash()).toBe('#?env=prod&label=region%3Deu&name=prod&image=nginx');

      // a reload restores every filter and the controls that show them
      await p.reload();
      await p.waitForSelector('#matrix tbody tr');
      expect(await rows()).toEqual(['prod-eu-1']);
      expect(await pressed()).toEqual(['prod']);
      expect(await p.inputValue('#label-filter')).toBe('region=eu');
      expect(await p.inputValue('#name-filter')).toBe('prod');
      expect(await p.inputValue('#image-filter')).toBe('nginx');
      expect(await p.textContent('#matrix-status')).toContain('1 of 6 clusters in prod with region=eu');

      // opening a cluster keeps the filters in the link
      await p.click('#matrix tbody tr[data-cluster="prod-eu-1"] td[data-profile="web"] a');
      await p.waitForSelector('#cluster-detail:not([hidden])');
      expect(await hash()).toBe('#cluster/prod-eu-1/web?env=prod&label=region%3Deu&name=prod&image=nginx');
      const shared = base + (await hash());

      // back: the cluster closes, the filters stay; back again: the label goes, then the environment
      await p.goBack();
      await p.waitForSelector('#cluster-detail[hidden]', { state: 'attached' });
      expect(await rows()).toEqual(['prod-eu-1']);
      await p.goBack();
      await p.waitForFunction(`location.hash === '#?env=prod'`);
      expect(await rows()).toEqual(['prod-ap-1', 'prod-eu-1', 'prod-us-1']);
      expect(await p.inputValue('#label-filter')).toBe('');
      expect(await p.inputValue('#name-filter')).toBe('');
      await p.goBack();
      await p.waitForFunction(`document.querySelectorAll('#matrix tbody tr').length === 6`);
      expect(await pressed()).toEqual(['']);
      // forward again: prod
      await p.goForward();
      await p.waitForFunction(`document.querySelectorAll('#matrix tbody tr').length === 3`);
      expect(await pressed()).toEqual(['prod']);

      // the link someone shared, opened in a fresh page: same filters, same cluster and profile
      const q = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      q.on('pageerror', (e) => errors.push(e.message));
      await q.goto(shared);
      await q.waitForSelector('#cluster-detail:not([hidden])');
      expect(await q.textContent('#cluster-h')).toBe('Cluster prod-eu-1 — profile web');
      expect(await q.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')))).toEqual(['prod-eu-1']);
      expect(await q.inputValue('#label-filter')).toBe('region=eu');
      await q.screenshot({ path: path.join(SHOTS, 'shared-link.png'), fullPage: true });
      // a link naming an environment or label this fleet lacks filters nothing away
      await q.goto(base + '#?env=nowhere&label=no%3Dsuch');
      await q.waitForFunction(`document.querySelectorAll('#matrix tbody tr').length === 6`);
      await q.close();
      expect(errors).toEqual([]);
    } finally {
      await p.close();
    }
  });
});
