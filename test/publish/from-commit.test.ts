/**
 * What is published is reproducible from its source commit: a `.gitignore`d vendored chart in the
 * work tree (kube-prometheus-stack's own `charts/*`) is not rendered by publish; a clone of the
 * commit publishes byte-identical trees; render warns, naming the ignored files.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { branchFiles, gitIn, remoteBranches } from '../helpers/fleet-repo.js';

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { from: ${name} }\n`;

/** A fleet repo whose chart vendors a subchart under a .gitignore'd charts/ (declared as a dependency or not). */
function fleetWithIgnoredSubchart(declared: boolean): { dir: string; fleet: string; remote: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-ignored-'));
  const fleet = path.join(dir, 'fleet');
  const remote = path.join(dir, 'remote.git');
  put(fleet, 'kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n');
  put(fleet, 'clusters/c1.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { environment: dev, kubeVersion: "1.31.0" }\n');
  put(fleet, 'profiles/app.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: app }\nspec:\n  clusters: [c1]\n  namespace: app\n  components:\n    - name: app\n      helm: { chart: charts/app, releaseName: app }\n');
  const deps = declared ? 'dependencies:\n  - { name: sub, version: 0.1.0, repository: "https://charts.example.invalid" }\n' : '';
  put(fleet, 'charts/app/Chart.yaml', `apiVersion: v2\nname: app\nversion: 0.1.0\n${deps}`);
  put(fleet, 'charts/app/templates/cm.yaml', cm('app'));
  put(fleet, 'charts/app/.gitignore', 'charts/*\n');
  put(fleet, 'charts/app/charts/sub/Chart.yaml', 'apiVersion: v2\nname: sub\nversion: 0.1.0\n');
  put(fleet, 'charts/app/charts/sub/templates/cm.yaml', cm('sub'));
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(fleet, 'init', '--quiet', '-b', 'main');
  gitIn(fleet, 'remote', 'add', 'origin', remote);
  gitIn(fleet, 'add', '-A');
  gitIn(fleet, 'commit', '--quiet', '-m', 'fleet with a vendored chart');
  return { dir, fleet, remote };
}

const BRANCH = 'rendered/dev/c1';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('publish renders what the source commit holds', () => {
  it('leaves out an ignored subchart, warns naming it, and a fresh clone publishes the same tree', async () => {
    const f = fleetWithIgnoredSubchart(false);
    dirs.push(f.dir);
    expect(gitIn(f.fleet, 'status', '--porcelain')).toBe(''); // the ignored chart does not make it dirty

    // render reads the work tree, subchart included, and says the commit lacks it
    const out = path.join(f.dir, 'out');
    const r = await kiln('render', '--cwd', f.fleet, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ignored or untracked by git.*charts\/app\/charts\/sub\/Chart\.yaml/);
    expect(execFileSync('ls', [path.join(out, 'c1/manifests/app')], { encoding: 'utf8' })).toMatch(/sub/);

    const p = await kiln('publish', '--cwd', f.fleet, '--allow-unpushed');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/charts\/app\/charts\/sub\/templates\/cm\.yaml.*rendered from the commit without them/);
    const files = branchFiles(f.remote, BRANCH);
    expect(files.some((x) => x.includes('--app'))).toBe(true);
    expect(files.some((x) => x.includes('--sub'))).toBe(false);

    // a fresh clone of the source commit, same origin, publishes to another remote: same tree, byte for byte
    const clone = path.join(f.dir, 'clone');
    const remote2 = path.join(f.dir, 'remote2.git');
    gitIn(f.dir, 'clone', '--quiet', f.fleet, clone);
    gitIn(clone, 'remote', 'set-url', 'origin', f.remote);
    gitIn(f.dir, 'init', '--quiet', '--bare', remote2);
    const p2 = await kiln('publish', '--cwd', clone, '--remote', remote2, '--allow-unpushed');
    expect(p2.code, p2.stderr).toBe(0);
    expect(p2.stderr).not.toMatch(/ignored or untracked/);
    expect(gitIn(remote2, 'rev-parse', `${BRANCH}^{tree}`)).toBe(gitIn(f.remote, 'rev-parse', `${BRANCH}^{tree}`));
  });

  it('refuses, with nothing pushed, when the chart needs the ignored dependency', async () => {
    const f = fleetWithIgnoredSubchart(true);
    dirs.push(f.dir);
    const p = await kiln('publish', '--cwd', f.fleet, '--allow-unpushed');
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/charts\/app\/charts\/sub\/Chart\.yaml/); // the ignored files, named
    expect(p.stderr).toMatch(/missing in charts\/ directory: sub/); // helm's own reason, from the commit's tree
    expect(remoteBranches(f.remote).size).toBe(0);
    // the work tree renders (it has the dependency), with the warning
    const r = await kiln('render', '--cwd', f.fleet, '--out', path.join(f.dir, 'out'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/ignored or untracked by git/);
  });

  it('--allow-dirty publishes the work tree as it is, and says the commit lacks the ignored files', async () => {
    const f = fleetWithIgnoredSubchart(false);
    dirs.push(f.dir);
    const p = await kiln('publish', '--cwd', f.fleet, '--allow-dirty', '--allow-unpushed');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/published from the work tree \(--allow-dirty\)/);
    expect(branchFiles(f.remote, BRANCH).some((x) => x.includes('--sub'))).toBe(true);
  });
});
