/** pipelines/github/outputs.mjs turns check findings into GitHub annotations on the profile files behind them. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

const script = path.join(projectRoot, 'pipelines/github/outputs.mjs');

function annotate(command: string, result: unknown, wd = '.'): string[] {
  const file = path.join(tmp(), 'result.json');
  writeFileSync(file, JSON.stringify(result));
  const env = { PATH: process.env.PATH!, KILN_WORKING_DIRECTORY: wd };
  return execFileSync(process.execPath, [script, command, file], { env, encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('::'));
}

const finding = (cluster: string, extra: Record<string, unknown> = {}) => ({
  check: 'schema',
  severity: 'error',
  cluster,
  profile: 'app',
  object: 'Deployment web/web',
  path: 'spec.replicas',
  file: 'manifests/app/web--deployment--web.yaml',
  source: 'profiles/app.yaml',
  message: 'expected an integer, got string "two"',
  ...extra,
});

describe('GitHub annotations from check findings', () => {
  it('one annotation per distinct finding, naming its clusters, on the profile file (under the working directory)', () => {
    const checks = { errors: 3, warnings: 1, clusters: [{ findings: [finding('a'), finding('b')] }, { findings: [finding('c', { severity: 'warning', check: 'api', path: undefined, message: 'deprecated, 50% gone: use policy/v1\nsoon' })] }] };
    const lines = annotate('diff', { schema: 'kiln.dev/diff/v1', clusters: [], checks }, './fleet/');
    expect(lines).toEqual([
      '::error file=fleet/profiles/app.yaml,title=kiln schema on a%2C b::Deployment web/web spec.replicas: expected an integer, got string "two" (manifests/app/web--deployment--web.yaml)',
      '::warning file=fleet/profiles/app.yaml,title=kiln api on c::Deployment web/web: deprecated, 50%25 gone: use policy/v1%0Asoon (manifests/app/web--deployment--web.yaml)',
    ]);
  });

  it('reads `kiln check --json` itself; a cluster-wide finding without a source has no file', () => {
    const lines = annotate('check', { schema: 'kiln.dev/check/v1', errors: 0, warnings: 1, clusters: [{ findings: [{ check: 'version', severity: 'warning', cluster: 'old', message: 'no schemas' }] }] });
    expect(lines).toEqual(['::warning title=kiln version on old::no schemas']);
  });

  it('prints nothing for results without findings', () => {
    expect(annotate('publish', { branches: [] })).toEqual([]);
  });
});
