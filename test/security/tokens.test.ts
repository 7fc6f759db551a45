/**
 * Tokens never leak: CI tokens in the environment and credentials in remote URLs are redacted from
 * every line kiln prints (stdout, stderr at debug level, errors) and from the files it writes; and
 * they never reach the programs kiln runs (render tools, git and the remote's hooks), which see only
 * an allowlisted environment.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearToolCache } from '../../src/render/tools.js';
import { kiln, type CliRun } from '../helpers/cli.js';
import { gitIn, makeFleetRepo, readTree, type FleetRepo } from '../helpers/fleet-repo.js';
import { tmp, which } from '../helpers/tools.js';
import { cluster, FLEET, writeFiles } from './fleet.js';

const TOKENS = {
  GITHUB_TOKEN: 'ghp_CANARYgithubtoken0123456789abcdefABCD',
  GITLAB_TOKEN: 'glpat-CANARYgitlabtoken01234',
  CI_JOB_TOKEN: 'cijob-CANARY-token-4242',
  HELM_REPO_PASSWORD: 'helmpw-CANARY-9999',
};
const URL_TOKEN = 'urltok3n-CANARY-5150';
const ALL = [...Object.values(TOKENS), URL_TOKEN];

function expectNoToken(where: string, text: string): void {
  for (const t of ALL) expect(text.includes(t), `${where} contains ${t}:\n${text}`).toBe(false);
}
function expectClean(r: CliRun): void {
  expectNoToken('stdout', r.stdout);
  expectNoToken('stderr', r.stderr);
  expect(r.stderr).not.toContain('internal error'); // (debug level prints the cause's stack, redacted too)
}

let repo: FleetRepo;
let envDump: string;
const saved = { ...process.env };

beforeAll(() => {
  const src = tmp('kiln-tok-src-');
  envDump = path.join(tmp('kiln-tok-env-'), 'env');
  // a helm that records the environment it was given, then behaves like the real one
  const realHelm = which('helm');
  writeFiles(src, {
    'kiln.yaml': FLEET,
    'clusters/dev.yaml': cluster(),
    'profiles/web.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: web\nspec:\n  clusters: [dev-1]\n  namespace: web\n  components:\n    - name: web\n      helm:\n        chart: charts/web\n',
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  ok: "yes"\n',
    // …or, when told to, fails quoting tokens (a chatty tool or a hostile chart echoing what it knows)
    'spy/helm': `#!/bin/sh\nenv >> '${envDump}'\nif [ -f '${envDump}.fail' ] && [ "$1" = template ]; then echo "Error: denied for ${TOKENS.GITLAB_TOKEN} at https://x:${URL_TOKEN}@example.invalid/c" >&2; exit 1; fi\nexec '${realHelm}' "$@"\n`,
  });
  chmodSync(path.join(src, 'spy/helm'), 0o755);
  repo = makeFleetRepo(src);
  // the fleet's origin carries credentials, as CI checkouts often do
  gitIn(repo.fleet, 'remote', 'set-url', 'origin', `https://oauth2:${URL_TOKEN}@127.0.0.1:9/fleet.git`);
  Object.assign(process.env, TOKENS, { KILN_HELM: path.join(repo.fleet, 'spy/helm'), KILN_CACHE_DIR: tmp('kiln-tok-cache-') });
});
afterEach(() => clearToolCache());
afterAll(() => {
  process.env = saved;
  repo.cleanup();
});

describe('tokens are redacted and never reach other programs', () => {
  it('render: the source repo URL in metadata and every output has no credentials; the tool saw no token', async () => {
    const out = path.join(repo.dir, 'out');
    const r = await kiln('render', '--cwd', repo.fleet, '--out', out, '--log-level', 'debug', '--json');
    expect(r.code, r.stderr).toBe(0);
    expectClean(r);
    const metadata = readFileSync(path.join(out, 'dev-1/.kiln/metadata.yaml'), 'utf8');
    expect(metadata).toContain('sourceRepo: https://127.0.0.1:9/fleet.git');
    for (const [f, t] of readTree(out)) expectNoToken(f, t);
    const seen = readFileSync(envDump, 'utf8');
    expect(seen).toMatch(/^PATH=/m); // the spy did run
    expectNoToken('helm environment', seen);
    expect(seen).not.toMatch(/^(GITHUB_TOKEN|GITLAB_TOKEN|CI_JOB_TOKEN|HELM_REPO_PASSWORD)=/m);
  });

  it('publish to a URL with user:token@ that cannot be reached: exit 1, one redacted line, nothing printed with the token', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--remote', `https://ci:${URL_TOKEN}@127.0.0.1:9/rendered.git`, '--log-level', 'debug');
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toMatch(/^error: .*https:\/\/\*\*\*@127\.0\.0\.1:9\/rendered\.git/m);
  });

  it('publish to the default remote (origin with credentials): same', async () => {
    const r = await kiln('publish', '--cwd', repo.fleet, '--log-level', 'debug', '--json');
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toMatch(/^error: .*127\.0\.0\.1:9\/fleet\.git/m);
  });

  it('a remote whose hook refuses and echoes its environment and the tokens: kiln prints no token, git saw none', async () => {
    const remote = path.join(repo.dir, 'remote.git');
    const hookEnv = path.join(repo.dir, 'hook-env');
    const hook = path.join(remote, 'hooks', 'pre-receive');
    // the message a hostile or chatty server sends back quotes a token; the hook also records its env
    writeFileSync(hook, `#!/bin/sh\nenv > '${hookEnv}'\necho "denied for ${TOKENS.GITHUB_TOKEN} and $GITHUB_TOKEN / $CI_JOB_TOKEN" >&2\nexit 1\n`);
    chmodSync(hook, 0o755);
    const r = await kiln('publish', '--cwd', repo.fleet, '--remote', remote, '--log-level', 'debug');
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toMatch(/^error: the remote refused the push: .*pre-receive hook declined/m);
    const seen = readFileSync(hookEnv, 'utf8');
    expect(seen).toMatch(/^PATH=/m);
    expectNoToken('git hook environment', seen);
    expect(gitIn(remote, 'for-each-ref', 'refs/heads')).toBe('');
  });

  it('a tool error quoting tokens is printed redacted', async () => {
    writeFileSync(`${envDump}.fail`, '');
    process.env.KILN_RENDER_CACHE = 'off'; // the inputs did not change: make helm run again
    const r = await kiln('render', '--cwd', repo.fleet, '--out', path.join(repo.dir, 'out-fail'), '--log-level', 'debug');
    expect(r.code).toBe(1);
    expectClean(r);
    expect(r.stderr).toMatch(/^error: profile "web", component "web", cluster "dev-1": helm template failed: Error: denied for \*\*\* at https:\/\/\*\*\*@example\.invalid\/c$/m);
  });
});
