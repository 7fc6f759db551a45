/**
 * pipelines/github/action.yml used directly from a workflow's steps, run by act (see act.ts; the
 * third-party actions it uses are the doubles in ./doubles): which steps `install-tools: auto` runs,
 * the shard input, outputs (exit-code, diff-file, changed-clusters), a failing kiln failing the step.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, projectRoot, type FleetRepo } from '../helpers/fleet-repo.js';
import { setGenVersion } from '../helpers/gen-fleet.js';
import { tmp } from '../helpers/tools.js';
import { ENV_CLUSTERS, promoteFleet } from '../promote/helpers.js';
import { kilnRepoCopy, runAct, type ActRun } from './act.js';
import { pinnedVersions, restoredToolsDir } from './env.js';

const step = (id: string, command: string, extra = '') => `      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - id: ${id}
        continue-on-error: true
        uses: kiln-dev/kiln/pipelines/github@v1
        with:
          command: ${command}
${extra}      - run: echo "RESULT ${id} outcome=\${{ steps.${id}.outcome }} exit=\${{ steps.${id}.outputs.exit-code }} changed=\${{ steps.${id}.outputs.changed }} clusters=\${{ steps.${id}.outputs.changed-clusters }} diff=\${{ steps.${id}.outputs.diff-file }}"
`;

describe('the composite action under act', { timeout: 600_000 }, () => {
  let repo: FleetRepo;
  let base: string;
  let r: ActRun;

  beforeAll(async () => {
    repo = promoteFleet();
    base = tmp('kiln-act-action-');
    const baseSha = gitIn(repo.fleet, 'rev-parse', 'HEAD');
    setGenVersion(repo.fleet, '2');
    const job = (name: string, body: string) => `  ${name}:\n    runs-on: ubuntu-latest\n    steps:\n${body}`;
    const workflow = `on: push\npermissions: {}\njobs:\n${[
      job('validate', step('k', 'validate')),
      job('report', step('k', 'report', `          args: |\n            --out\n            \${{ runner.temp }}/site\n`)),
      job('render', step('k', 'render', `          shard: 1/2\n          args: |\n            --out\n            \${{ runner.temp }}/out\n`)),
      job('diff', step('k', 'diff', `          args: |\n            --base\n            ${baseSha}\n`)),
      job('failing', step('k', 'publish', `          args: |\n            --remote\n            /nonexistent/remote.git\n`)),
      job('misuse', step('k', 'validate', '          shard: 1/2\n')),
    ].join('')}`;
    mkdirSync(path.join(repo.fleet, '.github/workflows'), { recursive: true });
    writeFileSync(path.join(repo.fleet, '.github/workflows/action.yml'), workflow);
    repo.commit('v2 and a workflow using the action');
    gitIn(repo.fleet, 'push', '--quiet', 'origin', 'main');
    gitIn(repo.fleet, 'remote', 'add', 'github', 'https://github.com/acme/fleet.git');
    restoredToolsDir(path.join(base, 'tools'), pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8')));
    r = await runAct({
      cwd: repo.fleet,
      event: 'push',
      payload: { ref: 'refs/heads/main', repository: { full_name: 'acme/fleet', default_branch: 'main' } },
      work: path.join(base, 'run'),
      origin: repo.remote,
      kilnRepo: kilnRepoCopy(path.join(base, 'kiln')),
      secrets: { GITHUB_TOKEN: 'ghs_actTestToken0123456789' },
      env: { KILN_TOOLS_DIR: path.join(base, 'tools'), KILN_CACHE_DIR: path.join(base, 'kiln-cache') },
    });
  });
  afterAll(() => {
    repo?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const result = (job: string) => {
    const m = /\| RESULT k outcome=(\S*) exit=(\S*) changed=(\S*) clusters=(\S*) diff=(\S*)/.exec(r.job(job));
    expect(m, r.job(job) || r.log).not.toBeNull();
    return { outcome: m![1], exit: m![2], changed: m![3], clusters: m![4], diff: m![5] };
  };
  const ran = (job: string, stepName: string) => r.job(job).includes(`Run Main ${stepName}`);

  it('install-tools auto: validate and report build no tools, render does', () => {
    expect(r.code, r.log).toBe(0); // the failing steps continue-on-error
    expect(result('validate')).toMatchObject({ outcome: 'success', exit: '0' });
    expect(result('report')).toMatchObject({ outcome: 'success', exit: '0' });
    for (const job of ['validate', 'report']) {
      expect(ran(job, 'Install kiln'), job).toBe(true);
      expect(ran(job, 'Install the render tools'), job).toBe(false);
      expect(ran(job, 'Set up Go'), job).toBe(false);
    }
    expect(ran('render', 'Install the render tools')).toBe(true);
    // with Go there (setup-go), the render worker is built from the action's own checkout too
    expect(r.job('render')).toMatch(/kiln-render-worker: \S+\/kiln-render-worker-[0-9a-f]{12}\/kiln-render-worker/);
  });

  it('render takes the shard input; diff names the diff file and the changed clusters', () => {
    expect(result('render')).toMatchObject({ outcome: 'success', exit: '0' });
    const d = result('diff');
    expect(['0', '2']).toContain(d.exit);
    expect(d.diff).toMatch(/diff\.md$/);
    // (echo dropped the JSON's quotes)
    expect(d.clusters!.slice(1, -1).split(',')).toEqual(Object.values(ENV_CLUSTERS).flat().sort());
  });

  it('a failing kiln fails the step with its exit code; shard on validate is refused', () => {
    const f = result('failing');
    expect(f.outcome).toBe('failure');
    expect(f.exit).not.toBe('0');
    expect(f.exit).not.toBe('');
    const m = result('misuse');
    expect(m).toMatchObject({ outcome: 'failure', exit: '1' });
    expect(r.job('misuse')).toContain('shard applies to render, publish, ls and bootstrap');
  });
});
