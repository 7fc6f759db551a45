/**
 * Runs GitLab CI pipelines with gitlab-ci-local (npm devDependency) on this host:
 * `--force-shell-executor` runs the template's `image:` jobs in a shell, `--shell-isolation` gives each
 * job its own copy of the checkout (with .git) plus GitLab's cache and artifacts between jobs.
 * Predefined variables a real pipeline would set (merge request ones, the API URL) come as --variable.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pipelineTool } from './act.js';

export interface GclRun {
  code: number;
  log: string;
  /** The lines of one job (gitlab-ci-local prefixes each with the job's name). */
  job(name: string): string;
}

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
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [pipelineTool('gitlab-ci-local'), ...args], {
      cwd: o.cwd,
      env: { PATH: o.path, HOME: o.home, LANG: 'C.UTF-8', GCL_MAX_JOB_NAME_PADDING: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (o.logFile) writeFileSync(o.logFile, log);
      resolve({
        code: code ?? -1,
        log,
        job: (name) =>
          log
            .split('\n')
            .filter((l) => l.startsWith(`${name} `))
            .join('\n'),
      });
    });
  });
}

export const buildsDir = (cwd: string) => path.join(cwd, '.gitlab-ci-local', 'builds');
