/**
 * Inputs from outside the repo are never served stale from the render cache or the cluster memo: a
 * Kustomize remote base on a branch, and a jsonnet import by absolute path, render every time; a base
 * pinned to a commit id is cached. `validate` warns about the unpinned ones.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, showFile } from '../helpers/fleet-repo.js';

let dir: string;
let fleet: string;
let baseWork: string;
let baseRepo: string;
let cache: string;
let savedCache: string | undefined;

const write = (rel: string, text: string) => {
  mkdirSync(path.dirname(path.join(fleet, rel)), { recursive: true });
  writeFileSync(path.join(fleet, rel), text);
};
const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: remote\ndata:\n  v: "${v}"\n`;
const profile = (name: string, component: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n  clusterSelector: {}\n  namespace: apps\n  components:\n    - name: ${name}\n${component}`;

/** Move the base repo's main: the ConfigMap now says `v`. */
function moveBase(v: string): string {
  writeFileSync(path.join(baseWork, 'cm.yaml'), cm(v));
  gitIn(baseWork, 'commit', '--quiet', '-am', `v${v}`);
  gitIn(baseWork, 'push', '--quiet', 'origin', 'main');
  return gitIn(baseWork, 'rev-parse', 'HEAD');
}

const entries = (engine: string) => readdirSync(path.join(cache, 'renders', engine), { withFileTypes: true }).filter((e) => e.name.endsWith('.json')).length;
const rendered = (out: string, p: string) =>
  readFileSync(path.join(out, 'c1', 'manifests', p, readdirSync(path.join(out, 'c1', 'manifests', p))[0]!), 'utf8');

beforeAll(() => {
  savedCache = process.env.KILN_CACHE_DIR;
  dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-remote-inputs-'));
  cache = path.join(dir, 'cache');
  process.env.KILN_CACHE_DIR = cache;
  baseRepo = path.join(dir, 'base.git');
  baseWork = path.join(dir, 'base');
  gitIn(dir, 'init', '--quiet', '--bare', '-b', 'main', baseRepo);
  gitIn(dir, 'init', '--quiet', '-b', 'main', baseWork);
  gitIn(baseWork, 'remote', 'add', 'origin', `file://${baseRepo}`);
  writeFileSync(path.join(baseWork, 'kustomization.yaml'), 'resources:\n- cm.yaml\n');
  writeFileSync(path.join(baseWork, 'cm.yaml'), cm('1'));
  gitIn(baseWork, 'add', '-A');
  gitIn(baseWork, 'commit', '--quiet', '-m', 'v1');
  gitIn(baseWork, 'push', '--quiet', 'origin', 'main');
  const pinned = gitIn(baseWork, 'rev-parse', 'HEAD');

  fleet = path.join(dir, 'fleet');
  write('kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: remote\nspec:\n  environments:\n    - name: dev\n  output:\n    branch: "rendered/{{ .Cluster.name }}"\n    path: manifests\n');
  write('clusters/c1.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: c1\nspec:\n  environment: dev\n');
  write('profiles/moving.yaml', profile('moving', '      kustomize:\n        path: kustomize/moving\n'));
  write('kustomize/moving/kustomization.yaml', `resources:\n- file://${baseRepo}?ref=main\n`);
  write('profiles/pinned.yaml', profile('pinned', '      kustomize:\n        path: kustomize/pinned\n'));
  write('kustomize/pinned/kustomization.yaml', `namePrefix: pinned-\nresources:\n- file://${baseRepo}?ref=${pinned}\n`);
  // an absolute import: the file is outside the repo, its bytes in no input hash
  writeFileSync(path.join(dir, 'ext.libsonnet'), '{ v: "1" }\n');
  write('profiles/abs.yaml', profile('abs', '      jsonnet:\n        file: jsonnet/abs.jsonnet\n'));
  write('jsonnet/abs.jsonnet', `local ext = import '${path.join(dir, 'ext.libsonnet')}';\n{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'abs' }, data: { v: ext.v } }\n`);
  const remote = path.join(dir, 'rendered.git');
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(fleet, 'init', '--quiet', '-b', 'main');
  gitIn(fleet, 'remote', 'add', 'origin', remote);
  gitIn(fleet, 'add', '-A');
  gitIn(fleet, 'commit', '--quiet', '-m', 'fleet');
  gitIn(fleet, 'push', '--quiet', 'origin', 'main');
});

afterAll(() => {
  if (savedCache === undefined) delete process.env.KILN_CACHE_DIR;
  else process.env.KILN_CACHE_DIR = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

describe('inputs from outside the repo', () => {
  it('validate warns about the unpinned ones only', async () => {
    const r = await kiln('validate', '--cwd', fleet);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`kustomize/moving/kustomization.yaml: resources file://${baseRepo}?ref=main (not pinned to a commit id), read by moving/moving: unpinned inputs`);
    expect(r.stderr).toContain(`jsonnet/abs.jsonnet: import "${path.join(dir, 'ext.libsonnet')}" (outside the fleet repo)`);
    expect(r.stderr).not.toMatch(/pinned\/kustomization/);
  });

  it('a moved branch and a changed absolute import are seen by the next render and publish; the pinned base is cached', async () => {
    const o1 = path.join(dir, 'o1');
    expect((await kiln('render', '--cwd', fleet, '--out', o1)).code).toBe(0);
    expect(rendered(o1, 'moving')).toContain('v: "1"');
    expect((await kiln('publish', '--cwd', fleet)).code).toBe(0);
    // only the pinned kustomize render is on disk; jsonnet's absolute import keeps it off too
    expect(entries('kustomize')).toBe(1);
    expect(existsJson('jsonnet')).toBe(0);

    moveBase('2');
    writeFileSync(path.join(dir, 'ext.libsonnet'), '{ v: "2" }\n');
    const o2 = path.join(dir, 'o2');
    expect((await kiln('render', '--cwd', fleet, '--out', o2)).code).toBe(0);
    expect(rendered(o2, 'moving')).toContain('v: "2"');
    expect(rendered(o2, 'abs')).toContain('v: "2"');
    expect(rendered(o2, 'pinned')).toContain('v: "1"');
    const p = await kiln('publish', '--cwd', fleet, '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).branches.map((b: { action: string }) => b.action)).toEqual(['updated']);
    expect(showFile(path.join(dir, 'rendered.git'), 'rendered/c1', 'manifests/moving/' + readdirSync(path.join(o2, 'c1', 'manifests', 'moving'))[0])).toContain('v: "2"');
  });
});

function existsJson(engine: string): number {
  try {
    return entries(engine);
  } catch {
    return 0;
  }
}
