/**
 * Runs GitHub Actions workflows with nektos/act (pinned in scripts/setup.sh, built into the tools dir)
 * on this host: `-P ubuntu-latest=-self-hosted`, no docker. kiln's own action and reusable workflow
 * (`kiln-dev/kiln/...@v1`) are mapped with `--local-repository` to a slim copy of this checkout; the
 * third-party actions to the doubles in ./doubles (see its README: which parts are doubles). act's
 * cache and artifact servers are off (the doubles keep those dirs); nothing listens beyond 127.0.0.1.
 */
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../helpers/fleet-repo.js';
import { runRunner, type RunnerRun } from './runner-run.js';

const doubles = path.join(path.dirname(fileURLToPath(import.meta.url)), 'doubles');
const DOUBLES: Record<string, string> = {
  'actions/checkout@v4': 'checkout',
  'actions/setup-node@v4': 'setup-node',
  'actions/setup-go@v5': 'setup-go',
  'actions/cache@v4': 'cache',
  'actions/upload-artifact@v4': 'upload-artifact',
  'actions/download-artifact@v4': 'download-artifact',
  'actions/upload-pages-artifact@v3': 'upload-pages-artifact',
  'actions/deploy-pages@v4': 'deploy-pages',
};

/** A tool from the project's tools dir (KILN_TOOLS_DIR/bin, ~/.cache/kiln-tools/bin), then node_modules/.bin, then PATH. */
export function pipelineTool(name: string): string {
  const dirs = [
    process.env.KILN_TOOLS_DIR && path.join(process.env.KILN_TOOLS_DIR, 'bin'),
    path.join(os.homedir(), '.cache/kiln-tools/bin'),
    path.join(projectRoot, 'node_modules/.bin'),
    ...(process.env.PATH ?? '').split(path.delimiter),
  ];
  for (const d of dirs) if (d && existsSync(path.join(d, name))) return path.join(d, name);
  throw new Error(`${name} is missing: run \`npm run setup\` (scripts/setup.sh builds act; npm ci installs gitlab-ci-local)`);
}

/**
 * kiln as the `kiln-dev/kiln@v1` repository: act copies a mapped repository per job, so it gets
 * links to this checkout's built kiln rather than node_modules itself.
 */
export function kilnRepoCopy(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const f of ['pipelines', 'scripts', '.github', 'bin', 'dist', 'node_modules', 'templates', 'schemas', 'package.json']) {
    symlinkSync(path.join(projectRoot, f), path.join(dir, f));
  }
  return dir;
}

export type ActRun = RunnerRun;

export interface ActOptions {
  /** The repository act runs in (its workflows, its HEAD is GITHUB_SHA); a `github` remote names the repository. */
  cwd: string;
  event: 'push' | 'pull_request' | 'workflow_dispatch';
  payload: Record<string, unknown>;
  /** Where this run's workspaces, action copies, doubles' dirs live. */
  work: string;
  /** The bare repo the checkout double clones. */
  origin: string;
  kilnRepo: string;
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  inputs?: Record<string, string>;
}

export function runAct(o: ActOptions): Promise<ActRun> {
  const eventFile = path.join(o.work, `event-${o.event}.json`);
  mkdirSync(o.work, { recursive: true });
  writeFileSync(eventFile, JSON.stringify(o.payload));
  const env: Record<string, string> = {
    KILN_DOUBLE_ORIGIN: o.origin,
    KILN_DOUBLE_CACHE: path.join(o.work, 'actions-cache'),
    KILN_DOUBLE_ARTIFACTS: path.join(o.work, 'artifacts'),
    KILN_DOUBLE_PAGES: path.join(o.work, 'pages'),
    ...o.env,
  };
  const args = [o.event, '-e', eventFile, '-P', 'ubuntu-latest=-self-hosted', '--no-cache-server', '--no-skip-checkout', '--action-offline-mode'];
  args.push('--action-cache-path', path.join(o.work, 'act'), '--remote-name', 'github', '--defaultbranch', 'main', '--concurrent-jobs', '2');
  args.push('--local-repository', `kiln-dev/kiln@v1=${o.kilnRepo}`);
  for (const [uses, dir] of Object.entries(DOUBLES)) args.push('--local-repository', `${uses}=${path.join(doubles, dir)}`);
  for (const [k, v] of Object.entries(env)) args.push('--env', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.secrets ?? {})) args.push('-s', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.inputs ?? {})) args.push('--input', `${k}=${v}`);
  // HOME and the XDG dirs inside the run: act and the action keep nothing in the real home
  const home = path.join(o.work, 'home');
  mkdirSync(home, { recursive: true });
  return runRunner(pipelineTool('act'), args, {
    cwd: o.cwd,
    env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), LANG: 'C.UTF-8', TMPDIR: os.tmpdir() },
    logFile: path.join(o.work, 'act.log'),
    // `[workflow/job] …`, a matrix job as `job-1`
    ofJob: (l, name) => new RegExp(`^\\[[^\\]]*/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${/-\d+$/.test(name) ? '' : '(-\\d+)?'}\\s*\\]`).test(l),
  });
}
