/**
 * Runs GitLab CI pipelines with gitlab-ci-local (npm devDependency) on this host:
 * `--force-shell-executor` runs the template's `image:` jobs in a shell, `--shell-isolation` gives each
 * job its own copy of the checkout (with .git) plus GitLab's cache and artifacts between jobs.
 * Predefined variables a real pipeline would set (merge request ones, the API URL) come as --variable.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pipelineTool } from './act.js';
import { runRunner, type RunnerRun } from './runner-run.js';

export type GclRun = RunnerRun;

export interface GclOptions {
  cwd: string;
  variables: Record<string, string>;
  /** Jobs to run (default: the whole pipeline); manual jobs to start. */
  jobs?: string[];
  manual?: string[];
  /** PATH the jobs see (the image's tools). */
  path: string;
  home: string;
  logFile?: string;
}

export function runGitlabCiLocal(o: GclOptions): Promise<GclRun> {
  // --shell-isolation copies each job's checkout with rsync (Debian's; scripts/setup.sh installs it)
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error('rsync is missing: run `npm run setup` as root or apt-get install rsync');
  const args = ['--force-shell-executor', '--shell-isolation', '--no-color', '--json-schema-validation', '--concurrency', '2', '--ignore-predefined-vars', Object.keys(o.variables).join(',')];
  for (const [k, v] of Object.entries(o.variables)) args.push('--variable', `${k}=${v}`);
  for (const m of o.manual ?? []) args.push('--manual', m);
  args.push(...(o.jobs ?? []));
  return runRunner(process.execPath, [pipelineTool('gitlab-ci-local'), ...args], {
    cwd: o.cwd,
    env: { PATH: o.path, HOME: o.home, LANG: 'C.UTF-8', GCL_MAX_JOB_NAME_PADDING: '0' },
    logFile: o.logFile,
    ofJob: (l, name) => l.startsWith(`${name} `),
  });
}

export const buildsDir = (cwd: string) => path.join(cwd, '.gitlab-ci-local', 'builds');
