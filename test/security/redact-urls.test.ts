/**
 * Redaction masks secrets only: with GH_HOST, GH_REPO and CI_SERVER_HOST set (as in GitHub Actions and
 * GitLab CI), repo URLs in bootstrap output, the branch README, .kiln/metadata.yaml and the commit
 * trailer stay exact; tokens still never show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact, registerEnvSecrets } from '../../src/log/redact.js';
import { publicRepoUrl } from '../../src/git/source.js';
import { kiln } from '../helpers/cli.js';
import { gitIn, showFile } from '../helpers/fleet-repo.js';
import { FLEET, cluster, writeFiles } from './fleet.js';

const URL = 'https://github.com/acme/fleet.git';
const CI_ENV = { GH_HOST: 'github.com', GH_REPO: 'acme/fleet', CI_SERVER_HOST: 'github.com', GITHUB_SERVER_URL: 'https://github.com', CI_PROJECT_PATH: 'acme/fleet', GH_TOKEN: 'ghs_CANARYtoken0123456789abcdef' };

describe('redact keeps hosts, repos and SSH users', () => {
  it.each([
    ['ssh://git@github.com/acme/fleet.git', 'ssh://git@github.com/acme/fleet.git'],
    ['git+ssh://git@github.com/acme/fleet.git', 'git+ssh://git@github.com/acme/fleet.git'],
    ['https://x-access-token:ghs_secret0123@github.com/acme/fleet.git', 'https://***@github.com/acme/fleet.git'],
    ['https://oauth2token@gitlab.example/acme/fleet.git', 'https://***@gitlab.example/acme/fleet.git'],
    ['ssh://git:pw@host/r.git', 'ssh://***@host/r.git'],
  ])('%s', (input, want) => {
    expect(redact(input)).toBe(want);
  });

  it('does not register host and repository variables as secrets, but does register tokens', () => {
    registerEnvSecrets(CI_ENV);
    expect(redact(`${URL} ssh://git@github.com/acme/fleet.git acme/fleet`)).toBe(`${URL} ssh://git@github.com/acme/fleet.git acme/fleet`);
    expect(redact(`token ${CI_ENV.GH_TOKEN}`)).toBe('token ***');
    expect(publicRepoUrl('https://x-access-token:ghs_secret0123@github.com/acme/fleet.git')).toBe(URL);
    expect(publicRepoUrl('ssh://git@github.com/acme/fleet.git')).toBe('ssh://git@github.com/acme/fleet.git');
  });
});

describe('with GH_HOST, GH_REPO and CI_SERVER_HOST set', () => {
  const saved: Record<string, string | undefined> = {};
  let dir: string;
  let fleet: string;
  let remote: string;
  beforeAll(() => {
    for (const [k, v] of Object.entries(CI_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-redact-'));
    fleet = path.join(dir, 'fleet');
    remote = path.join(dir, 'remote.git');
    writeFiles(fleet, {
      'kiln.yaml': FLEET,
      'clusters/dev.yaml': cluster(),
      'profiles/app.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: app }\nspec:\n  clusters: [dev-1]\n  components: [{ name: cm, manifests: { paths: [cm.yaml] } }]\n',
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: default }\ndata: { host: github.com }\n',
    });
    gitIn(dir, 'init', '--quiet', '--bare', remote);
    gitIn(fleet, 'init', '--quiet', '-b', 'main');
    gitIn(fleet, 'remote', 'add', 'origin', URL);
    gitIn(fleet, 'add', '-A');
    gitIn(fleet, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '--quiet', '-m', 'fleet');
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('bootstrap flux writes the origin URL as it is', async () => {
    const r = await kiln('bootstrap', 'flux', '--cwd', fleet);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  url: ${URL}\n`);
    expect(r.stdout).not.toContain('***');
  });

  it('publish writes the repo URL exactly into metadata, README and the Kiln-Source-Repo trailer', async () => {
    const r = await kiln('publish', '--cwd', fleet, '--remote', remote, '--json');
    expect(r.code, r.stderr).toBe(0);
    const branch = 'rendered/dev/dev-1';
    expect(showFile(remote, branch, '.kiln/metadata.yaml')).toContain(`sourceRepo: ${URL}\n`);
    expect(showFile(remote, branch, 'README.md')).toContain(URL);
    expect(gitIn(remote, 'log', '-1', '--format=%B', branch)).toContain(`Kiln-Source-Repo: ${URL}`);
    expect(showFile(remote, branch, 'manifests/app/default--configmap--cm.yaml')).toContain('host: github.com');
    expect(`${r.stdout}${r.stderr}`).not.toContain('***');
  });
});
