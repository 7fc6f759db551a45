/**
 * `kiln check` and the checks inside render/publish/diff on fixtures/checks: a wrong-typed and an
 * unknown Deployment field, a custom resource violating its CRD, a policy/v1beta1 PodDisruptionBudget on
 * a 1.24 and a 1.31 cluster, and a `:latest` image a Rego policy denies only in prod. Real helm-free
 * renders, real conftest, Kubernetes' own OpenAPI from the tools cache (scripts/setup.sh).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, projectRoot, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { checkStatsOf } from './stats.js';

const FIXTURE = path.join(projectRoot, 'fixtures/checks');

interface F {
  check: string;
  severity: string;
  cluster: string;
  profile?: string;
  object?: string;
  path?: string;
  file?: string;
  message: string;
}

const findingsOf = (json: { clusters: Array<{ findings: F[] }> }) => json.clusters.flatMap((c) => c.findings);
const brief = (f: F) => [f.severity, f.check, f.cluster, f.object ?? '', f.path ?? ''].join(' ');

/** Fix every fault in a fleet copy. */
function heal(fleet: string): void {
  const edit = (rel: string, from: string | RegExp, to: string) => {
    const p = path.join(fleet, rel);
    const before = readFileSync(p, 'utf8');
    const after = before.replace(from, to);
    expect(after, `${rel}: ${String(from)} not found`).not.toBe(before);
    writeFileSync(p, after);
  };
  edit('app/deployment.yaml', 'replicas: "two"', 'replicas: 2');
  edit('app/deployment.yaml', 'imagePullPolice: Always', 'imagePullPolicy: Always');
  edit('app/deployment.yaml', 'nginx:latest', 'nginx:1.27.3');
  edit('app/widget.yaml', 'size: big', 'size: 3');
  edit('app/pdb.yaml', 'policy/v1beta1', 'policy/v1');
}

describe('kiln check on a fleet with one fault of each kind', () => {
  let repo: FleetRepo;
  let run: Awaited<ReturnType<typeof kiln>>;
  let findings: F[];
  beforeAll(async () => {
    repo = makeFleetRepo(FIXTURE);
    run = await kiln('check', '--cwd', repo.fleet, '--json');
    findings = findingsOf(JSON.parse(run.stdout));
  });
  afterAll(() => repo.cleanup());

  it('exits 1 and reports exactly the expected findings, by cluster and field path', () => {
    expect(run.code, run.stderr).toBe(1);
    const deploy = 'Deployment web/web';
    const expected = [
      // 1.31 clusters: the Deployment's two schema faults, the removed PDB API, the CR against its CRD
      ...['dev-new', 'prod-1'].flatMap((c) => [
        `error schema ${c} ${deploy} spec.replicas`,
        `error schema ${c} ${deploy} spec.template.spec.containers[0].imagePullPolice`,
        `error api ${c} PodDisruptionBudget web/web `,
        `error schema ${c} Widget web/gadget spec.size`,
      ]),
      // 1.24: no built-in schemas for it (a warning), the PDB is merely deprecated, the CRD still applies
      'warning version dev-old  ',
      'warning api dev-old PodDisruptionBudget web/web ',
      'error schema dev-old Widget web/gadget spec.size',
      // the policy denies :latest only in prod
      `error policy prod-1 ${deploy} `,
    ];
    expect(findings.map(brief).sort()).toEqual(expected.sort());
  });

  it('names the file, the profile and what is wrong', () => {
    const replicas = findings.find((f) => f.cluster === 'prod-1' && f.path === 'spec.replicas')!;
    expect(replicas).toMatchObject({ profile: 'app', file: 'manifests/app/web--deployment--web.yaml', source: 'profiles/app.yaml' });
    expect(replicas.message).toMatch(/expected an integer, got string "two"/);
    expect(findings.find((f) => f.path?.endsWith('imagePullPolice'))!.message).toBe('unknown field');
    const pdb = findings.find((f) => f.check === 'api' && f.cluster === 'prod-1')!;
    expect(pdb.message).toMatch(/no longer served since Kubernetes 1\.25.*use policy\/v1/);
    expect(findings.find((f) => f.check === 'api' && f.cluster === 'dev-old')!.message).toMatch(/deprecated since Kubernetes 1\.21 and removed in 1\.25: use policy\/v1/);
    expect(findings.find((f) => f.check === 'policy')!.message).toMatch(/nginx:latest.*not pinned/);
    expect(findings.find((f) => f.check === 'schema' && f.object === 'Widget web/gadget')!.message).toMatch(/CRD from manifests\/app\/customresourcedefinition--widgets\.example\.com\.yaml/);
  });

  it('text output: one line per finding and a count', async () => {
    const r = await kiln('check', '--cwd', repo.fleet, '--cluster', 'prod-1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error   [schema] prod-1/app Deployment web/web spec.replicas: expected an integer');
    expect(r.stdout).toMatch(/checked 5 objects on 1 cluster\(s\): 5 error\(s\), 0 warning\(s\)/);
  });

  it('--strict makes a version without schemas an error', async () => {
    const r = await kiln('check', '--cwd', repo.fleet, '--cluster', 'dev-old', '--strict', '--json');
    const version = findingsOf(JSON.parse(r.stdout)).find((f) => f.check === 'version')!;
    expect(version.severity).toBe('error');
    expect(version.message).toMatch(/1\.24\.3 is outside the Kubernetes versions kiln has schemas for \(1\.28–/);
  });

  it('publish refuses before anything is pushed; --allow-failing-checks and --no-check go ahead', async () => {
    const refused = await kiln('publish', '--cwd', repo.fleet, '--cluster', 'prod-1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/checks found 5 error\(s\) on 1 cluster\(s\): nothing was published/);
    expect(refused.stderr).toMatch(/error: \[schema\] prod-1\/app Deployment web\/web spec\.replicas/);
    expect(remoteBranches(repo.remote).size).toBe(0);
    const allowed = await kiln('publish', '--cwd', repo.fleet, '--cluster', 'prod-1', '--allow-failing-checks', '--json', '--log-level', 'debug');
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout).checks.errors).toBe(5);
    expect([...remoteBranches(repo.remote).keys()]).toEqual(['rendered/prod/prod-1']);
    expect(checkStatsOf(allowed.stderr).objects).toBeGreaterThan(0);
    // a no-change re-publish skips the whole cluster: nothing is rendered, parsed or validated
    const again = await kiln('publish', '--cwd', repo.fleet, '--cluster', 'prod-1', '--allow-failing-checks', '--json', '--log-level', 'debug');
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).branches.map((b: { action: string }) => b.action)).toEqual(['unchanged']);
    expect(again.stderr).not.toMatch(/checks: [1-9]/);
    expect(again.stderr).not.toMatch(/\[schema\]/);
    const skipped = await kiln('publish', '--cwd', repo.fleet, '--cluster', 'dev-new', '--no-check', '--json');
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(JSON.parse(skipped.stdout).checks).toBeUndefined();
  });

  it('diff carries the findings of the clusters it changes in its JSON and, grouped across clusters, in its markdown before the diff', async () => {
    const unchanged = await kiln('diff', '--cwd', repo.fleet, '--base', 'HEAD', '--env', 'dev', '--json');
    expect(JSON.parse(unchanged.stdout).checks.clusters).toEqual([]);
    const svc = path.join(repo.fleet, 'app/service.yaml');
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('port: 80', 'port: 81'));
    const r = await kiln('diff', '--cwd', repo.fleet, '--base', 'HEAD', '--env', 'dev', '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.checks.errors).toBe(5);
    const md = await kiln('diff', '--cwd', repo.fleet, '--base', 'HEAD', '--env', 'dev');
    expect(md.stdout).toMatch(/❌ \*\*Checks: 5 error\(s\)\*\*, 2 warning\(s\)/);
    expect(md.stdout).toContain('❌ **schema** profile `app` `Widget web/gadget` `spec.size`: expected an integer, got string "big"');
    expect(md.stdout).toMatch(/spec\.size.* — on `dev-new`, `dev-old`/);
    const none = await kiln('diff', '--cwd', repo.fleet, '--base', 'HEAD', '--env', 'dev', '--json', '--no-check');
    expect(JSON.parse(none.stdout).checks).toBeUndefined();
    writeFileSync(svc, readFileSync(svc, 'utf8').replace('port: 81', 'port: 80'));
  });

  it('render writes the files and exits 1 on errors; spec.checks.enabled: false turns the checks off there', async () => {
    const out = tmp();
    const r = await kiln('render', '--cwd', repo.fleet, '--cluster', 'prod-1', '--out', out);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(out, 'prod-1/manifests/app/web--deployment--web.yaml'), 'utf8')).toContain('replicas: two');
    const kilnYaml = path.join(repo.fleet, 'kiln.yaml');
    const orig = readFileSync(kilnYaml, 'utf8');
    writeFileSync(kilnYaml, `${orig}  checks: { enabled: false }\n`);
    try {
      const off = await kiln('render', '--cwd', repo.fleet, '--cluster', 'prod-1', '--out', tmp(), '--json');
      expect(off.code, off.stderr).toBe(0);
      expect(JSON.parse(off.stdout).checks).toBeUndefined();
    } finally {
      writeFileSync(kilnYaml, orig);
    }
  });
});

describe('kiln check on the same fleet without the faults', () => {
  it('passes: no errors, only the 1.24 cluster\'s missing-schemas warning', async () => {
    const repo = makeFleetRepo(FIXTURE);
    try {
      heal(repo.fleet);
      const r = await kiln('check', '--cwd', repo.fleet, '--json');
      expect(r.code, r.stdout).toBe(0);
      const json = JSON.parse(r.stdout);
      expect(json.errors).toBe(0);
      expect(findingsOf(json).map(brief)).toEqual(['warning version dev-old  ']);
      expect(json.clusters.find((c: { cluster: string }) => c.cluster === 'prod-1').schemaSet).toBe('1.31');
    } finally {
      repo.cleanup();
    }
  });
});
