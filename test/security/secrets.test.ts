/**
 * The secret guard and secret hygiene, end to end through the CLI: plain Secrets are refused by
 * default, and when a profile allows them, each marked value (`s3cr3t-CANARY-…`) appears in its
 * Secret's manifest file and nowhere else — not on stdout/stderr (debug level), not in
 * .kiln/metadata.yaml or any other rendered file, not in kiln's caches, not in commits on the remote.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, readTree, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { cluster, FLEET, writeFiles } from './fleet.js';

const CANARY = {
  manifest: 's3cr3t-CANARY-manifest',
  b64: 's3cr3t-CANARY-base64data',
  valuesFile: 's3cr3t-CANARY-valuesfile',
  vars: 's3cr3t-CANARY-clustervars',
  extVar: 's3cr3t-CANARY-jsonnet-extvar',
  ytt: 's3cr3t-CANARY-ytt-datavalue',
};
const b64 = (s: string) => Buffer.from(s).toString('base64');
const ALL = [...Object.values(CANARY), b64(CANARY.b64)];

function profile(allow: boolean): string {
  return `apiVersion: kiln.dev/v1alpha1
kind: Profile
metadata:
  name: creds
spec:
  clusters: [dev-1]
  namespace: app
${allow ? '  allowSecrets: true\n' : ''}  components:
    - name: plain
      manifests:
        paths: [manifests]
    - name: chart
      helm:
        chart: charts/sec
        valuesFiles: [values/creds.yaml]
        values:
          password: "{{ .Vars.dbpass }}"
    - name: js
      jsonnet:
        file: jsonnet/secret.jsonnet
        extVars: { token: ${CANARY.extVar} }
    - name: ytt
      ytt:
        paths: [ytt]
        dataValues: { key: ${CANARY.ytt} }
`;
}

function writeFleet(dir: string, allow: boolean): void {
  writeFiles(dir, {
    'kiln.yaml': FLEET,
    'clusters/dev.yaml': cluster({ dbpass: CANARY.vars }),
    'profiles/creds.yaml': profile(allow),
    'profiles/other.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: other\nspec:\n  clusters: [dev-1]\n  namespace: app\n  components:\n    - name: cm\n      manifests:\n        paths: [other]\n',
    'other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n',
    'manifests/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: from-manifests\nstringData:\n  password: ${CANARY.manifest}\ndata:\n  blob: ${b64(CANARY.b64)}\n`,
    'charts/sec/Chart.yaml': 'apiVersion: v2\nname: sec\nversion: 0.1.0\n',
    'charts/sec/templates/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: from-helm\nstringData:\n  fromFile: {{ .Values.fileSecret | quote }}\n  fromVars: {{ .Values.password | quote }}\n',
    'values/creds.yaml': `fileSecret: ${CANARY.valuesFile}\n`,
    'jsonnet/secret.jsonnet': "{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'from-jsonnet' }, stringData: { token: std.extVar('token') } }\n",
    'ytt/secret.yaml': '#@ load("@ytt:data", "data")\napiVersion: v1\nkind: Secret\nmetadata:\n  name: from-ytt\nstringData:\n  key: #@ data.values.key\n',
    'ytt/values.yaml': '#@data/values\n---\nkey: ""\n',
  });
}

/** Every place in `texts` (name → text) holding any canary, as `name: canary`. */
function leaks(texts: Map<string, string>, allowed: (name: string) => boolean = () => false): string[] {
  const out: string[] = [];
  for (const [name, text] of texts) for (const c of ALL) if (text.includes(c) && !allowed(name)) out.push(`${name}: ${c}`);
  return out;
}

const remoteTexts = (remote: string): Map<string, string> => {
  const out = new Map<string, string>();
  out.set('remote: commit messages', gitIn(remote, 'log', '--all', '--format=%B'));
  for (const branch of gitIn(remote, 'for-each-ref', '--format=%(refname:short)', 'refs/heads').split('\n').filter(Boolean)) {
    for (const f of gitIn(remote, 'ls-tree', '-r', '--name-only', branch).split('\n').filter(Boolean)) {
      out.set(`remote ${branch}:${f}`, gitIn(remote, 'show', `${branch}:${f}`));
    }
  }
  return out;
};

const saved = process.env.KILN_CACHE_DIR;
afterAll(() => {
  if (saved === undefined) delete process.env.KILN_CACHE_DIR;
  else process.env.KILN_CACHE_DIR = saved;
});

describe('secret guard (default: refuse)', () => {
  let repo: FleetRepo;
  let cache: string;
  beforeAll(() => {
    const src = tmp('kiln-sec-src-');
    writeFleet(src, false);
    repo = makeFleetRepo(src);
    cache = tmp('kiln-sec-cache-');
    process.env.KILN_CACHE_DIR = cache;
  });
  afterAll(() => repo.cleanup());

  it('a plain Secret fails the render with advice, and its values are printed and cached nowhere', async () => {
    const out = path.join(repo.dir, 'out');
    const r = await kiln('render', '--cwd', repo.fleet, '--out', out, '--log-level', 'debug');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: profile "creds", component "\w+", cluster "dev-1": Secret app\/from-\w+ would be written to git in plain text \(keep credentials out of git with SOPS, Sealed Secrets or External Secrets; or set spec\.allowSecrets: true on profile "creds" to accept it\)$/m);
    expect(existsSync(out)).toBe(false);
    const texts = new Map([['stdout', r.stdout], ['stderr', r.stderr], ...[...readTree(cache)].map(([f, t]) => [`cache ${f}`, t] as [string, string])]);
    expect(leaks(texts)).toEqual([]);
  });

  it('publish refuses too and leaves the remote without branches', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('would be written to git in plain text');
    expect(gitIn(repo.remote, 'for-each-ref', 'refs/heads')).toBe('');
  });
});

describe('secrets allowed per profile (spec.allowSecrets: true)', () => {
  let repo: FleetRepo;
  let cache: string;
  beforeAll(() => {
    const src = tmp('kiln-sec-src-');
    writeFleet(src, true);
    repo = makeFleetRepo(src);
    cache = tmp('kiln-sec-cache-');
    process.env.KILN_CACHE_DIR = cache;
  });
  afterAll(() => repo.cleanup());

  it('each value lands in its own Secret manifest and nowhere else: output, logs, metadata, caches, remote', async () => {
    const out = path.join(repo.dir, 'out');
    const rendered = await kiln('render', '--cwd', repo.fleet, '--out', out, '--log-level', 'debug');
    expect(rendered.code, rendered.stderr).toBe(0);
    // again with the caches warm: a second run must not have stored the values either
    const again = await kiln('render', '--cwd', repo.fleet, '--out', path.join(repo.dir, 'out2'), '--log-level', 'debug', '--json');
    expect(again.code, again.stderr).toBe(0);
    const published = await kiln('publish', '--cwd', repo.fleet, '--log-level', 'debug', '--json');
    expect(published.code, published.stderr).toBe(0);

    const files = readTree(path.join(out, 'dev-1'));
    const secretFile = (name: string) => /(^|\/)manifests\/creds\/app--secret--from-[a-z]+\.yaml$/.test(name.replace(/^remote [^:]+:/, '').replace(/^out\d? /, ''));
    // the canaries are really there (the scan can find them) — each in its Secret's file
    const where = (c: string) => [...files].filter(([, t]) => t.includes(c)).map(([f]) => f);
    expect(where(CANARY.manifest)).toEqual(['manifests/creds/app--secret--from-manifests.yaml']);
    expect(where(b64(CANARY.b64))).toEqual(['manifests/creds/app--secret--from-manifests.yaml']);
    expect(where(CANARY.valuesFile)).toEqual(['manifests/creds/app--secret--from-helm.yaml']);
    expect(where(CANARY.vars)).toEqual(['manifests/creds/app--secret--from-helm.yaml']);
    expect(where(CANARY.extVar)).toEqual(['manifests/creds/app--secret--from-jsonnet.yaml']);
    expect(where(CANARY.ytt)).toEqual(['manifests/creds/app--secret--from-ytt.yaml']);
    // the provenance still records the jsonnet command, with the value masked
    const metadata = files.get('.kiln/metadata.yaml')!;
    expect(metadata).toContain('--ext-str');
    expect(metadata).toContain('token=***');

    const texts = new Map<string, string>();
    for (const [n, r] of [['render', rendered], ['render again', again], ['publish', published]] as const) {
      texts.set(`${n} stdout`, r.stdout);
      texts.set(`${n} stderr`, r.stderr);
    }
    for (const [f, t] of readTree(out)) texts.set(`out ${f.replace(/^dev-1\//, '')}`, t);
    for (const [f, t] of readTree(path.join(repo.dir, 'out2'))) texts.set(`out2 ${f.replace(/^dev-1\//, '')}`, t);
    for (const [f, t] of readTree(cache)) texts.set(`cache ${f}`, t);
    for (const [f, t] of remoteTexts(repo.remote)) texts.set(f, t);
    expect(texts.size).toBeGreaterThan(20);
    expect(leaks(texts, secretFile)).toEqual([]);
    // and the published branch carries the allowed Secrets
    expect([...texts.keys()].filter((k) => k.startsWith('remote ') && secretFile(k))).toHaveLength(4);
    expect(readFileSync(path.join(out, 'dev-1/manifests/other/app--configmap--settings.yaml'), 'utf8')).toContain('mode: fast');
  });
});
