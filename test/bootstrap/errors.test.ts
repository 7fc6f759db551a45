import { describe, expect, it } from 'vitest';
import { bootstrap, planBootstrap, type BootstrapOptions } from '../../src/commands/bootstrap.js';
import { defaultGlobals } from '../../src/commands/options.js';
import { KilnError } from '../../src/errors.js';
import { createLogger } from '../../src/log/logger.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';
import { REPO, smallFleet } from './fleet.js';

/** The one-line error a user sees for these options. */
function failure(opts: Partial<BootstrapOptions> & Record<string, unknown>): string {
  try {
    planBootstrap(smallFleet(), { target: 'flux', repoUrl: REPO, ...opts } as BootstrapOptions);
  } catch (e) {
    expect(e).toBeInstanceOf(KilnError);
    const line = (e as KilnError).oneLine();
    expect(line).not.toContain('\n');
    return line;
  }
  throw new Error('expected a KilnError');
}

describe('kiln bootstrap refuses bad input with one line', () => {
  it('a missing or empty --repo-url', () => {
    expect(failure({ repoUrl: undefined })).toMatch(/^--repo-url is required \(the git URL the clusters pull/);
    expect(failure({ repoUrl: '  ' })).toMatch(/--repo-url is required/);
  });

  it('credentials in the URL, without echoing them', () => {
    for (const url of [
      'https://deploy:s3cr3t-pass@git.example.com/org/fleet.git',
      'https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/org/fleet.git',
      'ssh://git:s3cr3t-pass@git.example.com/org/fleet.git',
      'https://git.example.com/org/fleet.git?private_token=s3cr3t-pass',
    ]) {
      for (const target of ['flux', 'argocd'] as const) {
        const line = failure({ target, repoUrl: url });
        expect(line).toMatch(/credential/);
        expect(line).toMatch(/credentials belong in a Secret/);
        expect(line).not.toMatch(/s3cr3t|ghp_/);
      }
    }
  });

  it('accepts an SSH user (not a secret) and scp-like syntax for Argo CD only', () => {
    expect(() => planBootstrap(smallFleet(), { target: 'flux', repoUrl: 'ssh://git@github.com/org/fleet.git' })).not.toThrow();
    expect(() => planBootstrap(smallFleet(), { target: 'argocd', repoUrl: 'git@github.com:org/fleet.git' })).not.toThrow();
    expect(failure({ repoUrl: 'git@github.com:org/fleet.git' })).toMatch(/scp-like.*write ssh:\/\/git@github.com\/org\/fleet.git/);
    expect(failure({ repoUrl: 'file:///srv/fleet.git' })).toMatch(/scheme file is not supported/);
    expect(failure({ repoUrl: 'not a url' })).toMatch(/whitespace/);
  });

  it('an unknown target', () => {
    expect(failure({ target: 'spinnaker' as never })).toBe('unknown bootstrap target "spinnaker" (use kiln bootstrap flux or kiln bootstrap argocd)');
  });

  it('flags of the other target, bad names and durations', () => {
    expect(failure({ applicationSet: true })).toMatch(/^--application-set does not apply to kiln bootstrap flux/);
    expect(failure({ target: 'argocd', secretRef: 'git' })).toMatch(/^--secret-ref does not apply to kiln bootstrap argocd.*secret-type=repository/);
    expect(failure({ target: 'argocd', interval: '1m' })).toMatch(/^--interval does not apply/);
    expect(failure({ interval: '5 minutes' })).toMatch(/^--interval "5 minutes" is not a duration/);
    expect(failure({ timeout: '1d' })).toMatch(/^--timeout "1d" is not a duration/);
    expect(failure({ namespace: 'Flux_System' })).toMatch(/^--namespace "Flux_System" is not a valid namespace name/);
    expect(failure({ secretRef: 'Git Creds' })).toMatch(/^--secret-ref "Git Creds" is not a valid Secret name/);
    expect(failure({ target: 'argocd', destinationServer: 'hub' as never })).toMatch(/is not in-cluster or from-label/);
    expect(failure({ target: 'argocd', applicationSet: true, destinationServer: 'in-cluster' })).toMatch(/hub Argo CD/);
  });

  it('a selection with no cluster, or an unknown one', () => {
    expect(failure({ clusters: ['nope'] })).toMatch(/--cluster "nope" is not a cluster/);
    expect(failure({ profiles: [] , envs: ['staging'], clusters: ['dev-eu-1'] })).toMatch(/no cluster matches the selection/);
  });

  it('flag errors come before reading the fleet', async () => {
    const g = defaultGlobals({ cwd: '/nonexistent', logger: createLogger({ level: 'silent' }) });
    await expect(bootstrap(g, { target: 'flux', repoUrl: '' })).rejects.toThrow(/--repo-url is required/);
    await expect(bootstrap(defaultGlobals({ cwd: fixturesFleet, logger: createLogger({ level: 'silent' }) }), { target: 'flux', repoUrl: REPO, envs: ['qa'] })).rejects.toThrow(/--env "qa"/);
  });
});
