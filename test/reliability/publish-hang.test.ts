/**
 * A render tool that hangs during `kiln publish`: it is killed at KILN_TOOL_TIMEOUT_MS (with the
 * processes it started), publish exits 1 naming the timeout, and the remote is left untouched —
 * no branch created on a fresh remote, no branch moved on a published one.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearToolCache } from '../../src/render/tools.js';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { cluster, FLEET, writeFiles } from '../security/fleet.js';

let repo: FleetRepo;
let hanging: string;
const saved = { ...process.env };

function chartValue(v: string): void {
  writeFileSync(path.join(repo.fleet, 'charts/web/values.yaml'), `v: "${v}"\n`);
}

beforeAll(() => {
  const src = tmp('kiln-hang-src-');
  writeFiles(src, {
    'kiln.yaml': FLEET.replace('    - name: dev\n', '    - name: dev\n    - name: prod\n'),
    'clusters/dev.yaml': cluster(),
    'clusters/prod.yaml': cluster().replace('name: dev-1', 'name: prod-1').replace('environment: dev', 'environment: prod'),
    'profiles/web.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: web\nspec:\n  clusterSelector: {}\n  namespace: web\n  components:\n    - name: web\n      helm:\n        chart: charts/web\n',
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/values.yaml': 'v: "1"\n',
    'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  v: {{ .Values.v | quote }}\n',
  });
  repo = makeFleetRepo(src);
  // answers `version`; otherwise starts a child that keeps stdout open, and waits (a plugin gone wrong)
  hanging = path.join(repo.dir, 'helm-hangs');
  writeFileSync(hanging, '#!/bin/sh\nif [ "$1" = version ]; then echo v3.22.0; exit 0; fi\nsleep 60 &\nwait\n');
  chmodSync(hanging, 0o755);
  process.env.KILN_CACHE_DIR = tmp('kiln-hang-cache-');
});
afterEach(() => {
  process.env = { ...saved, KILN_CACHE_DIR: process.env.KILN_CACHE_DIR };
  clearToolCache();
});
afterAll(() => {
  process.env = saved;
  repo.cleanup();
});

async function publishHanging(): Promise<{ code: number; stderr: string; ms: number }> {
  process.env.KILN_HELM = hanging;
  process.env.KILN_TOOL_TIMEOUT_MS = '700';
  const t = Date.now();
  const r = await kiln('publish', '--cwd', repo.fleet);
  return { code: r.code, stderr: r.stderr, ms: Date.now() - t };
}

describe('publish with a render tool that hangs', () => {
  it('on a fresh remote: exit 1 naming the timeout, no branch created', async () => {
    const r = await publishHanging();
    expect(r.code).toBe(1);
    // both clusters' renders may time out before the first one's failure cancels the other: then one line for both
    expect(r.stderr).toMatch(/^error: profile "web", component "web"(, cluster "(dev|prod)-1": helm template timed out after 0\.7s|: helm template timed out after 0\.7s \(in 2 clusters: dev-1, prod-1\)) \(raise KILN_TOOL_TIMEOUT_MS if the render is just slow\)$/m);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.ms).toBeLessThan(20_000); // not the child's 60 s
    expect(remoteBranches(repo.remote).size).toBe(0);
  });

  it('on a published remote: no branch moves', async () => {
    const ok = await kiln('publish', '--cwd', repo.fleet);
    expect(ok.code, ok.stderr).toBe(0);
    const before = remoteBranches(repo.remote);
    expect([...before.keys()].sort()).toEqual(['rendered/dev/dev-1', 'rendered/prod/prod-1']);
    chartValue('2');
    repo.commit('v2');
    const r = await publishHanging();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('helm template timed out after 0.7s');
    expect(remoteBranches(repo.remote)).toEqual(before);
  });
});
