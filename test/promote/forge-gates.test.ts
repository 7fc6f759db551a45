import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { FakeGitHub } from '../scm/fake-github.js';
import { ENV_CLUSTERS, branchOf, promoteFleet } from './helpers.js';

const TOKEN = 'ghp_promoteGateToken0123456789abcdefABCD';

/** The health gate end to end: kiln promote → GitHubScm → a GitHub API on 127.0.0.1 checked against GitHub's description. */
describe('promote --require-status through the GitHub forge', () => {
  let repo: FleetRepo;
  let gh: FakeGitHub;
  beforeAll(async () => {
    repo = promoteFleet();
    expect((await kiln('publish', '--cwd', repo.fleet, '--env', 'dev')).code).toBe(0);
    gh = await new FakeGitHub().start();
    process.env.GITHUB_TOKEN = TOKEN;
  });
  afterAll(async () => {
    delete process.env.GITHUB_TOKEN;
    await gh.stop();
    repo.cleanup();
  });

  const promote = () =>
    kiln('promote', '--cwd', repo.fleet, '--to', 'staging', '--require-status', 'flux/healthy', '--forge', 'github', '--forge-url', gh.url, '--forge-repo', 'acme/fleet');

  it('refuses with exit 3 naming the unhealthy cluster, then promotes once every dev head reports success', async () => {
    const heads = remoteBranches(repo.remote);
    const [a, b] = ENV_CLUSTERS.dev!.map((c) => heads.get(branchOf(c))!);
    gh.statuses.set(a!, [{ context: 'flux/healthy', state: 'success' }]);
    gh.statuses.set(b!, [{ context: 'flux/healthy', state: 'pending' }]);
    const refused = await promote();
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`pending for ${ENV_CLUSTERS.dev![1]}`));
    expect(refused.stderr).not.toContain(TOKEN);
    expect([...remoteBranches(repo.remote).keys()].some((k) => k.startsWith('rendered/staging/'))).toBe(false);

    gh.statuses.set(b!, [{ context: 'flux/healthy', state: 'success' }]);
    const ok = await promote();
    expect(ok.code, ok.stderr).toBe(0);
    for (const c of ENV_CLUSTERS.staging!) expect(remoteBranches(repo.remote).has(branchOf(c))).toBe(true);
    // every call kiln made was a valid GitHub API request, authenticated with the token
    expect(gh.violations).toEqual([]);
    const statusCalls = gh.requests.filter((r) => r.path.includes('/commits/'));
    expect(statusCalls.length).toBeGreaterThanOrEqual(4);
    expect(statusCalls.every((r) => r.authorization?.includes(TOKEN))).toBe(true);
  });
});
