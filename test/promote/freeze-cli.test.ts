import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { ENV_CLUSTERS, branchOf, carried, headMessage, promoteFleet } from './helpers.js';

const FREEZE = `- weekly: {days: [fri], from: "16:00", to: "23:59", timezone: Europe/Berlin}
  reason: no Friday deploys
- start: "2025-12-20T00:00:00Z"
  end: "2026-01-05T00:00:00Z"
  reason: holidays`;

const FRIDAY_EVENING_BERLIN = '2025-01-03T16:30:00Z'; // 17:30 in Berlin
const FRIDAY_AFTERNOON_BERLIN = '2025-01-03T14:30:00Z'; // 15:30 in Berlin
const HOLIDAYS = '2025-12-24T09:00:00Z';

describe('deploy freezes on publish and promote (fixed clock via KILN_NOW)', () => {
  let repo: FleetRepo;
  beforeAll(async () => {
    repo = promoteFleet(FREEZE);
    process.env.KILN_NOW = FRIDAY_AFTERNOON_BERLIN;
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
  });
  afterEach(() => {
    delete process.env.KILN_NOW;
  });
  afterAll(() => repo.cleanup());
  const run = (now: string, ...args: string[]) => {
    process.env.KILN_NOW = now;
    return kiln(...args, '--cwd', repo.fleet, '--json');
  };

  it('refuses promote and publish into a frozen environment with exit 3, naming the freeze', async () => {
    setGenVersion(repo.fleet, '2');
    repo.commit('v2');
    expect((await run(FRIDAY_EVENING_BERLIN, 'publish', '--env', 'dev,staging')).code).toBe(0); // not frozen
    const before = remoteBranches(repo.remote);
    const p = await run(FRIDAY_EVENING_BERLIN, 'promote', '--to', 'prod');
    expect(p.code).toBe(3);
    expect(p.stderr).toMatch(/refused: promote to prod into a deploy freeze at 2025-01-03T16:30:00.000Z: prod \(no Friday deploys\)/);
    const all = await run(HOLIDAYS, 'publish');
    expect(all.code).toBe(3);
    expect(all.stderr).toMatch(/prod \(holidays\).*--env dev,staging/);
    expect(remoteBranches(repo.remote)).toEqual(before);
  });

  it('--break-glass goes ahead and records the reason as a commit trailer (publish and promote)', async () => {
    const p = await run(FRIDAY_EVENING_BERLIN, 'promote', '--to', 'prod', '--break-glass', 'INC-42 cert expiry');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).brokeFreeze).toEqual([{ environment: 'prod', reasons: ['no Friday deploys'] }]);
    for (const c of ENV_CLUSTERS.prod!) {
      expect(carried(repo, c)).toBe(carried(repo, 'staging-c0001'));
      expect(headMessage(repo, branchOf(c))).toContain('Kiln-Break-Glass: INC-42 cert expiry (freeze: prod (no Friday deploys))');
    }
    setGenVersion(repo.fleet, '3');
    repo.commit('v3');
    const pub = await run(HOLIDAYS, 'publish', '--env', 'prod', '--break-glass', 'INC-43');
    expect(pub.code, pub.stderr).toBe(0);
    expect(headMessage(repo, branchOf('prod-c0002'))).toContain('Kiln-Break-Glass: INC-43 (freeze: prod (holidays))');
    // outside every window no trailer is written
    const open = await run('2025-01-07T10:00:00Z', 'publish', '--env', 'dev');
    expect(open.code, open.stderr).toBe(0);
    expect(headMessage(repo, branchOf('dev-c0000'))).not.toContain('Kiln-Break-Glass');
  });
});
