/**
 * actionlint (pinned in scripts/setup.sh, built into the tools dir) on every workflow, and on the
 * composite action through a workflow that uses it with every input (actionlint checks a local
 * action's inputs against its action.yml). With shellcheck on PATH, actionlint also checks the
 * workflows' run: scripts; the action's own run: scripts are checked with shellcheck directly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../helpers/fleet-repo.js';
import { pinnedVersions } from './env.js';

function findActionlint(): string {
  const dirs = [process.env.KILN_TOOLS_DIR && path.join(process.env.KILN_TOOLS_DIR, 'bin'), path.join(os.homedir(), '.cache/kiln-tools/bin'), ...(process.env.PATH ?? '').split(path.delimiter)];
  for (const d of dirs) if (d && existsSync(path.join(d, 'actionlint'))) return path.join(d, 'actionlint');
  throw new Error('actionlint is missing: run `npm run setup` (scripts/setup.sh builds the pinned actionlint into ~/.cache/kiln-tools/bin)');
}

function hasShellcheck(): boolean {
  return spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
}

const lint = (args: string[], cwd = projectRoot) => spawnSync(findActionlint(), ['-no-color', ...args], { cwd, encoding: 'utf8' });

/**
 * actionlint resolves `uses: ./path` (an action or a reusable workflow, whose inputs it then checks)
 * from the project of a workflow *file*: a temp repo with the action and kiln's workflow copied in.
 */
function lintUsing(workflow: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-actionlint-'));
  execFileSync('git', ['init', '--quiet', dir]);
  cpSync(path.join(projectRoot, 'pipelines/github'), path.join(dir, 'pipelines/github'), { recursive: true });
  mkdirSync(path.join(dir, '.github/workflows'), { recursive: true });
  cpSync(path.join(projectRoot, '.github/workflows/kiln.yml'), path.join(dir, '.github/workflows/kiln.yml'));
  writeFileSync(path.join(dir, '.github/workflows/uses-action.yml'), workflow);
  return lint(['.github/workflows/uses-action.yml'], dir);
}

/** README's GitHub examples (yaml blocks naming kiln's workflow or action), pointed at the local copies. */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  return [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((y) => y.includes('kiln-dev/kiln/'))
    .map((y) => y.replaceAll('kiln-dev/kiln/.github/workflows/kiln.yml@v1', './.github/workflows/kiln.yml').replaceAll('kiln-dev/kiln/pipelines/github@v1', './pipelines/github'));
}
const actionFile = path.join(projectRoot, 'pipelines/github/action.yml');
const action = parse(readFileSync(actionFile, 'utf8')) as { inputs: Record<string, { default?: string }>; runs: { steps: Array<Record<string, unknown>> } };

describe('actionlint', () => {
  it('is the pinned version', () => {
    const pinned = pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8')).actionlint;
    expect(pinned).toMatch(/^v\d/);
    expect(execFileSync(findActionlint(), ['-version'], { encoding: 'utf8' })).toContain(pinned!);
  });

  it('passes on every workflow in .github/workflows', () => {
    const files = readdirSync(path.join(projectRoot, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'kiln.yml']));
    const r = lint(files.map((f) => `.github/workflows/${f}`));
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  // a workflow using the local action with every input it declares
  const user = (extra = '') => `on: push
permissions: {}
jobs:
  kiln:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    strategy:
      matrix:
        shard: [1, 2]
    steps:
      - uses: actions/checkout@v4
      - id: kiln
        uses: ./pipelines/github
        with:
${Object.keys(action.inputs).map((k) => `          ${k}: ${k === 'shard' ? '${{ matrix.shard }}/2' : k === 'command' ? 'publish' : JSON.stringify(action.inputs[k]!.default ?? '')}`).join('\n')}
${extra}      - run: echo "\${{ steps.kiln.outputs.changed-clusters }} \${{ steps.kiln.outputs.diff-file }}"
`;

  it('passes on a workflow that uses the composite action with all its inputs', () => {
    const r = lintUsing(user());
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("README's caller workflow passes, with every input the manual promotion needs", () => {
    const [caller, ...rest] = readmeExamples();
    expect(caller).toContain('uses: ./.github/workflows/kiln.yml');
    expect(caller).toContain('break-glass: ${{ inputs.break-glass }}');
    const r = lintUsing(caller!);
    expect(r.stdout + r.stderr).toBe('');
    // the snippet using the action alone is steps, not a workflow: wrapped in one job
    const steps = rest.find((y) => y.includes('uses: ./pipelines/github'))!;
    const wrapped = `on: push\npermissions: {}\njobs:\n  kiln:\n    runs-on: ubuntu-latest\n    permissions: { contents: write }\n    strategy: { matrix: { shard: [1, 2, 3, 4] } }\n    steps:\n${steps.replace(/^ {6}/gm, '      ')}`;
    const w = lintUsing(wrapped);
    expect(w.stdout + w.stderr).toBe('');
  });

  it('checks the reusable workflow inputs: an undeclared one in the README example is an error', () => {
    const r = lintUsing(readmeExamples()[0]!.replace('      shards: 4', '      shards: 4\n      no-such-input: x'));
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('no-such-input');
  });

  it('reads the action metadata: an undeclared input is an error', () => {
    const r = lintUsing(user().replace('          command: publish', '          command: publish\n          no-such-input: x'));
    expect(r.status).not.toBe(0);
    expect(r.stdout).toContain('input "no-such-input" is not defined in action');
  });

  it('the action run: scripts pass shellcheck (expressions replaced by placeholders)', () => {
    // scripts/setup.sh installs shellcheck with apt-get (as root); elsewhere: apt-get install shellcheck
    expect(hasShellcheck(), 'shellcheck is not on PATH').toBe(true);
    for (const step of action.runs.steps.filter((s) => s.run)) {
      const script = String(step.run).replace(/\$\{\{[\s\S]*?\}\}/g, 'EXPR');
      const r = spawnSync('shellcheck', ['-s', 'bash', '-'], { input: script, encoding: 'utf8' });
      expect(r.stdout, String(step.name)).toBe('');
    }
    for (const f of ['pipelines/github/install-tools.sh']) {
      const r = spawnSync('shellcheck', [path.join(projectRoot, f)], { encoding: 'utf8' });
      expect(r.stdout, f).toBe('');
    }
  });

  it('the action, the template and scripts/setup.sh pin the same tool versions', () => {
    const pinned = pinnedVersions(readFileSync(path.join(projectRoot, 'scripts/setup.sh'), 'utf8'));
    const gitlab = (parse(readFileSync(path.join(projectRoot, 'pipelines/gitlab/kiln.gitlab-ci.yml'), 'utf8')) as { variables: Record<string, string> }).variables;
    for (const t of ['helm', 'kustomize', 'jsonnet', 'ytt']) {
      expect(action.inputs[`${t}-version`]!.default, t).toBe(pinned[t]);
      expect(gitlab[`KILN_${t.toUpperCase()}_VERSION`], t).toBe(pinned[t]);
    }
  });
});
