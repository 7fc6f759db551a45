import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { branchNameProblem, outputPathProblem } from '../../src/config/checks.js';
import { loadConfig } from '../../src/config/load.js';
import { KilnError, KilnErrors } from '../../src/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmpFleet(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-chk-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
const fleet = (extra = '') => `apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: t\nspec:\n  environments:\n    - name: dev\n    - name: prod\n${extra}`;
const cluster = (name: string, env = 'dev') => `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\nspec:\n  environment: ${env}\n`;
async function errorsOf(dir: string): Promise<string[]> {
  try {
    await loadConfig({ cwd: dir });
  } catch (e) {
    if (e instanceof KilnErrors) return e.errors.map((x) => x.oneLine());
    if (e instanceof KilnError) return [e.oneLine()];
    throw e;
  }
  return [];
}

describe('branchNameProblem', () => {
  it.each(['rendered/dev/a', 'main', 'a.b/c-d_e', 'rendered/prod/eu-1'])('accepts %s', (b) => expect(branchNameProblem(b)).toBeUndefined());
  it.each(['', 'a b', 'a..b', 'a/.hidden', 'a.lock', 'a/b.lock/c', '/a', 'a/', 'a//b', 'a.', '-a', 'a@{b', '@', 'a~1', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a\tb'])(
    'refuses %j',
    (b) => expect(branchNameProblem(b)).toBeTypeOf('string'),
  );
});

describe('outputPathProblem', () => {
  it.each(['manifests', 'clusters/dev-1', 'a/b/c', './manifests', 'manifests/'])('accepts %s', (p) => expect(outputPathProblem(p)).toBeUndefined());
  it.each(['', ' ', '.', './', '..', '../x', 'a/../../x', 'a/../b', '/abs', 'C:/x', '.kiln', '.kiln/x', '.git', 'a/.git', 'README.md', 'a\\b'])('refuses %j', (p) =>
    expect(outputPathProblem(p)).toBeTypeOf('string'),
  );
});

describe('cross-document checks', () => {
  it('lets clusters share a branch when output.path differs per cluster', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet('  output:\n    branch: "rendered/{{ .Cluster.environment }}"\n    path: "clusters/{{ .Cluster.name }}"\n'),
      'clusters/a.yaml': `${cluster('a')}---\n${cluster('b')}`,
    });
    expect(await errorsOf(dir)).toEqual([]);
  });

  it('refuses output paths nested in each other on one branch, but not look-alike names', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet('  output:\n    branch: shared\n    path: "{{ .Vars.dir }}"\n'),
      'clusters/a.yaml': `${cluster('a')}  vars: {dir: m}\n---\n${cluster('b')}  vars: {dir: m.b}\n`,
    });
    expect(await errorsOf(dir)).toEqual([]);
    writeFileSync(path.join(dir, 'clusters/a.yaml'), `${cluster('a')}  vars: {dir: m}\n---\n${cluster('b')}  vars: {dir: m/b}\n`);
    expect(await errorsOf(dir)).toEqual([
      'kiln.yaml:10:13: spec.output: clusters "a" and "b" would both write branch "shared" paths "m" and "m/b" (one inside the other) (clusters may share a branch only with separate output paths: put {{ .Cluster.name }} in output.branch or output.path)',
    ]);
    writeFileSync(path.join(dir, 'kiln.yaml'), fleet('  output:\n    branch: "r/{{ .Vars.dir }}"\n'));
    writeFileSync(path.join(dir, 'clusters/a.yaml'), `${cluster('a')}  vars: {dir: x}\n---\n${cluster('b')}  vars: {dir: x.y}\n`);
    expect(await errorsOf(dir)).toEqual([]);
  });

  it('reports a git ref conflict between a branch and a directory of branches', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet('  output:\n    branch: "r/{{ .Vars.b }}"\n'),
      'clusters/a.yaml': `${cluster('a')}  vars: {b: x}\n---\n${cluster('b')}  vars: {b: x/y}\n`,
    });
    expect(await errorsOf(dir)).toEqual([
      'kiln.yaml:10:13: spec.output.branch: branches "r/x" (cluster "a") and "r/x/y" (cluster "b") cannot both exist in git (a branch name cannot also be a directory of other branches)',
    ]);
  });

  it('reports a missing label in output.branch once, with the cluster', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet('  output:\n    branch: "r/{{ .Cluster.labels.region }}/{{ .Cluster.name }}"\n'),
      'clusters/a.yaml': `${cluster('a')}---\n${cluster('b')}`,
    });
    expect(await errorsOf(dir)).toEqual([
      'kiln.yaml:10:13: spec.output.branch: {{ .Cluster.labels.region }}: cluster "a" has no label "region" (labels: (none))',
      'kiln.yaml:10:13: spec.output.branch: {{ .Cluster.labels.region }}: cluster "b" has no label "region" (labels: (none))',
    ]);
  });

  it('checks freeze windows', async () => {
    const dir = tmpFleet({
      'kiln.yaml': `apiVersion: kiln.dev/v1alpha1
kind: Fleet
metadata:
  name: t
spec:
  environments:
    - name: dev
      freeze:
        - start: "2024-12-20T00:00:00Z"
          end: "2025-01-06T00:00:00Z"
          reason: holidays
        - weekly: {days: [fri, sat], from: "16:00", to: "23:59", timezone: Europe/Berlin}
          reason: weekend
        - start: "next friday"
          reason: bad date
        - weekly: {days: [fri], from: "16:00", to: "23:59", timezone: Mars/Olympus}
          reason: bad zone
        - reason: nothing
        - start: "2025-01-06"
          end: "2024-12-20"
          reason: backwards
`,
      'clusters/a.yaml': cluster('a'),
    });
    expect(await errorsOf(dir)).toEqual([
      expect.stringContaining('kiln.yaml:14:18: spec.environments[0].freeze[2].start: "next friday" is not a date'),
      'kiln.yaml:16:71: spec.environments[0].freeze[3].weekly.timezone: unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin or UTC)',
      'kiln.yaml:18:11: spec.environments[0].freeze[4]: a freeze window needs start/end or weekly',
      'kiln.yaml:19:11: spec.environments[0].freeze[5]: the freeze window ends before it starts',
    ]);
  });

  it('refuses duplicate component names and self-dependencies', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet(),
      'clusters/a.yaml': cluster('a'),
      'profiles/p.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: p\nspec:\n  clusterSelector: {}\n  dependsOn: [p]\n  components:\n    - name: x\n      manifests: {paths: [m]}\n    - name: x\n      kustomize: {path: k}\n',
    });
    expect(await errorsOf(dir)).toEqual([
      'profiles/p.yaml:7:15: spec.dependsOn[0]: profile "p" depends on itself',
      'profiles/p.yaml:11:13: spec.components[1].name: component "x" appears twice in profile "p" (component names must be unique within a profile)',
    ]);
  });

  it('refuses a patch target name that is not a regex', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet(),
      'clusters/a.yaml': `${cluster('a')}  patches:\n    - target: {kind: Deployment, name: "web-(a"}\n      patch: []\n`,
    });
    expect(await errorsOf(dir)).toEqual([
      'clusters/a.yaml:8:40: spec.patches[0].target.name: "web-(a" is not a valid regular expression (target.name is matched as a regex; escape special characters)',
    ]);
  });

  it('collects several checks across files in one KilnErrors', async () => {
    const dir = tmpFleet({
      'kiln.yaml': fleet('  tools:\n    ytt: "not a range"\n'),
      'clusters/a.yaml': cluster('a', 'qa'),
      'profiles/p.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: p\nspec:\n  clusters: [b]\n  components:\n    - name: x\n      manifests: {paths: ["{{ .Vars.x | upper }}"]}\n',
    });
    const errors = await errorsOf(dir);
    expect(errors).toHaveLength(4);
    expect(errors.map((e) => e.split(':')[0])).toEqual(['kiln.yaml', 'clusters/a.yaml', 'profiles/p.yaml', 'profiles/p.yaml']);
  });
});
