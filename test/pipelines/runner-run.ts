/** One run of a CI runner (act, gitlab-ci-local): its whole log, and the lines each job printed. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export interface RunnerRun {
  code: number;
  log: string;
  /** The lines of one job (each runner prefixes every line with the job it came from). */
  job(name: string): string;
}

/** Run `file args` to the end, keep its log (in `logFile` too), and pick job lines with `ofJob`. */
export function runRunner(
  file: string,
  args: string[],
  o: { cwd: string; env: NodeJS.ProcessEnv; logFile?: string; ofJob: (line: string, job: string) => boolean },
): Promise<RunnerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
            .filter((l) => o.ofJob(l, name))
            .join('\n'),
      });
    });
  });
}
