import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, projectRoot, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { launchChromium } from './browser.js';

const SHOTS = path.join(projectRoot, 'test-artifacts/report');

describe('kiln report at 1,000 clusters', () => {
  let repo: FleetRepo;
  let site: string;
  let ms = 0;
  beforeAll(async () => {
    repo = makeFleetRepo(genFleetDir({ clusters: 1000 }));
    const pub = await kiln('publish', '--cwd', repo.fleet, '--log-level', 'error');
    expect(pub.code, pub.stderr).toBe(0);
    site = path.join(repo.dir, 'site');
    const t = Date.now();
    const r = await kiln('report', '--out', site, '--cwd', repo.fleet, '--log-level', 'error');
    ms = Date.now() - t;
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => repo?.cleanup());

  it('generates in seconds, every cluster with its objects', () => {
    expect(ms).toBeLessThan(20_000); // ~3 s here; one cat-file batch per tree level and for the blobs
    const data = JSON.parse(readFileSync(path.join(site, 'report.json'), 'utf8'));
    expect(data.clusters).toHaveLength(1000);
    expect(data.clusters.every((c: { published: boolean; kinds: Record<string, number> }) => c.published && c.kinds.ConfigMap === 1 && c.kinds.ServiceAccount === 1)).toBe(true);
  });

  it('the page shows 100 rows at a time; paging and the environment filter work over all 1,000', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.goto(pathToFileURL(path.join(site, 'index.html')).href);
      await page.waitForSelector('#matrix tbody tr');
      expect(await page.locator('#matrix tbody tr').count()).toBe(100);
      expect(await page.textContent('#matrix-pager')).toContain('page 1 of 10');
      await page.click('#matrix-pager button:has-text("Next")');
      const second = await page.$$eval('#matrix tbody tr', (trs) => trs.map((r) => r.getAttribute('data-cluster')));
      const all = JSON.parse(readFileSync(path.join(site, 'report.json'), 'utf8')).clusters.map((c: { name: string }) => c.name);
      expect(second).toEqual(all.slice(100, 200));
      await page.click('#env-filter button[data-env="staging"]');
      expect(await page.textContent('#matrix-status')).toContain('333 of 1000 clusters in staging');
      expect(await page.textContent('#matrix-pager')).toContain('page 1 of 4');
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'scale-staging.png') });
    } finally {
      await browser.close();
    }
  });
});
