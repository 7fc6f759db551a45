/** Command-line manners: a usage error is one line and where to read more; typos named; numbers checked; global options in each help. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';

describe('usage errors', () => {
  it('an unknown option is named as such (not "--out is missing"), in a line or two and a pointer to the help', async () => {
    const r = await kiln('render', '--outdir', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown option '--outdir'\n/);
    expect(r.stderr).toMatch(/see kiln render --help\n$/);
    expect(r.stderr).not.toContain('Usage:');
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
  it('a missing required option is still named when nothing else is wrong', async () => {
    const r = await kiln('promote');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: required option '--to <env>' not specified\nsee kiln promote --help\n");
  });
  it('numeric options are validated and named', async () => {
    for (const [args, name] of [[['diff', '--max-chars', 'abc'], '--max-chars <n>'], [['comment', '--max-comments', '0'], '--max-comments <n>'], [['diff', '--max-chars', '12x'], '--max-chars <n>']] as const) {
      const r = await kiln(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`error: option '${name}' argument`);
      expect(r.stderr).not.toContain('NaN');
      expect(r.stderr).not.toContain('Usage:');
    }
  });
  it("each subcommand's help lists the global options", async () => {
    const r = await kiln('render', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Global Options:[\s\S]*--cwd <dir>[\s\S]*--log-level <level>/);
  });
});

/** A temp dir from a map of relative path → content. */
function files(map: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-manners-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(map)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FLEET = 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: {name: t}\nspec:\n  environments: [{name: dev}]\n';
const cluster = (name: string, labels = '') => `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${name}\n  labels: {tier: standard${labels}}\nspec:\n  environment: dev\n`;
const profile = (name: string, selector: string) =>
  `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n  clusterSelector:\n${selector}  components:\n    - name: x\n      manifests: {paths: [m]}\n`;
const CM = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n';

describe('validate and the fleet files', () => {
  it('validate --json prints the errors as JSON on stdout, exit code 1 as in text', async () => {
    const dir = files({ 'kiln.yaml': FLEET, 'clusters/a.yaml': cluster('a').replace('environment: dev', 'environment: qa'), 'profiles/p.yaml': profile('p', '    matchLabels: {tier: standard}\n'), 'm/cm.yaml': CM });
    const text = await kiln('validate', '--cwd', dir);
    const json = await kiln('validate', '--cwd', dir, '--json');
    expect(text.code).toBe(1);
    expect(json.code).toBe(1);
    expect(text.stdout).toBe('');
    const out = JSON.parse(json.stdout) as { ok: boolean; errors: Array<Record<string, unknown>> };
    expect(out.ok).toBe(false);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatchObject({ file: 'clusters/a.yaml', line: 7, field: 'spec.environment' });
    expect(String(out.errors[0]!.message)).toMatch(/qa/);
    expect(json.stderr).toBe(text.stderr); // the same lines for the log
  });

  it('text warnings carry file:line:col like the JSON ones', async () => {
    const dir = files({ 'kiln.yaml': FLEET, 'clusters/a.yaml': cluster('a'), 'profiles/p.yaml': profile('p', '    matchExpressions: [{key: tier, operator: In, values: [standard, standrd]}]\n'), 'm/cm.yaml': CM });
    const text = await kiln('validate', '--cwd', dir);
    expect(text.code, text.stderr).toBe(0);
    const json = JSON.parse((await kiln('validate', '--cwd', dir, '--json')).stdout) as { warnings: Array<{ message: string; pos: { file: string; line: number; col: number } }> };
    const w = json.warnings[0]!;
    expect(w.pos).toEqual({ file: 'profiles/p.yaml', line: 7, col: 24 });
    expect(text.stderr).toContain(`warn: profiles/p.yaml:7:24: ${w.message}\n`);
  });

  it('--config elsewhere/kiln.yaml resolves its globs and relative paths from that file\'s dir', async () => {
    const dir = files({
      'elsewhere/kiln.yaml': FLEET,
      'elsewhere/clusters/a.yaml': cluster('a'),
      'elsewhere/profiles/p.yaml': profile('p', '    matchLabels: {tier: standard}\n'),
      'elsewhere/m/cm.yaml': CM,
      'clusters/decoy.yaml': cluster('decoy'), // beside the cwd: not this fleet's
    });
    const r = await kiln('ls', '--cwd', dir, '--config', 'elsewhere/kiln.yaml', '--json');
    expect(r.code, r.stderr).toBe(0);
    const ls = JSON.parse(r.stdout) as { clusters: Array<{ name: string; profiles: string[] }> };
    expect(ls.clusters.map((c) => [c.name, c.profiles])).toEqual([['a', ['p']]]);
    const out = path.join(dir, 'out');
    const rendered = await kiln('render', '--cwd', dir, '--config', path.join(dir, 'elsewhere/kiln.yaml'), '--out', out, '--no-check');
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(readdirSync(path.join(out, 'a/manifests/p')).length).toBe(1); // m/cm.yaml, found under elsewhere/
  });

  it('clusters/*.yml and profiles/*.yml are read by default, beside *.yaml; kiln.yml too', async () => {
    const dir = files({ 'kiln.yml': FLEET, 'clusters/a.yaml': cluster('a'), 'clusters/b.yml': cluster('b'), 'profiles/p.yml': profile('p', '    matchLabels: {tier: standard}\n'), 'm/cm.yaml': CM });
    const r = await kiln('ls', '--cwd', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const ls = JSON.parse(r.stdout) as { clusters: Array<{ name: string; profiles: string[] }> };
    expect(ls.clusters.map((c) => [c.name, c.profiles])).toEqual([['a', ['p']], ['b', ['p']]]);
  });
});
