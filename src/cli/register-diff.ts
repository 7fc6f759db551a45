/** The review commands: diff, comment. */
import type { Command } from 'commander';
import type { DiffOptions } from '../commands/diff.js';
import { KilnError } from '../errors.js';
import { detectForge, pullRequestFromEnv, scmFromEnv } from '../scm/from-env.js';
import { addForgeOptions, addSelection, forgeOptions, globals, intArg, print, selection, str, type CliContext } from './context.js';

/** Repeatable without comma-splitting: ignore patterns may hold commas. */
function repeat(value: string, prev: string[] = []): string[] {
  return [...prev, value];
}

function addDiffOptions(cmd: Command): Command {
  return addSelection(cmd)
    .option('--base <ref>', 'compare with the render of this fleet-repo ref (default: what the rendered branches on --remote hold)')
    .option('--head <ref>', 'render this ref as the new side (default: the work tree)')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path, holding the rendered branches', 'origin')
    .option('--ignore <pattern>', 'ignore changes under a field pattern, e.g. metadata.labels[team] or Deployment:spec.replicas (repeatable)', repeat)
    .option('--no-default-ignores', 'also show helm.sh/chart label and checksum/* annotation churn')
    .option('--max-chars <n>', 'cut details beyond this many characters of markdown (0: no limit; kiln comment: per comment)', intArg(0), 65536)
    .option('--out-file <file>', 'write the full markdown here (written anyway when details are cut: to kiln-diff.md in a new temp dir, named in the warning)')
    .option('--exit-code', 'exit with 2 when there is a diff')
    .option('--no-check', 'skip the schema, API and policy checks of the head side');
}

function diffOptions(o: Record<string, unknown>): DiffOptions {
  return {
    ...selection(o),
    base: str(o, 'base'),
    head: str(o, 'head'),
    remote: String(o.remote),
    ignore: (o.ignore as string[] | undefined) ?? [],
    defaultIgnores: o.defaultIgnores !== false,
    maxChars: o.maxChars as number,
    outFile: str(o, 'outFile'),
    exitCode: Boolean(o.exitCode),
    noCheck: o.check === false,
  };
}

export function registerDiffCommands(program: Command, { io, state }: CliContext): void {
  addDiffOptions(program.command('diff'))
    .description('object-level diff of the rendered fleet: per cluster, equal diffs grouped, secrets masked, risks flagged')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { diff, diffJson, formatDiff } = await import('../commands/diff.js');
      const r = await diff(g, diffOptions(o));
      print(io, g, diffJson(r), formatDiff(r));
      state.exitCode = r.exitCode;
    });

  addForgeOptions(addDiffOptions(program.command('comment')))
    .description('create or update the sticky kiln comment (and its numbered follow-up parts when the diff is too big for one) on the current PR (GitHub) or MR (GitLab)')
    .option('--max-comments <n>', 'comments the diff may take, the sticky one included; beyond, the full diff is left to the pipeline artifact', intArg(1, 100), 10)
    .option('--body-file <md>', 'post this markdown instead of the diff')
    .option('--summary', 'also append the comment to $GITHUB_STEP_SUMMARY')
    .option('--pr <number>', 'PR/MR number (default: from the CI environment)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const env = process.env;
      const opts = forgeOptions(o);
      const kind = detectForge(opts, env);
      const pr = o.pr === undefined ? pullRequestFromEnv(kind, env) : Number(o.pr);
      if (!pr || !Number.isInteger(pr) || pr < 1) {
        throw new KilnError(o.pr === undefined ? `no ${kind === 'github' ? 'pull request' : 'merge request'} in this pipeline's environment` : `--pr "${String(o.pr)}" is not a PR/MR number`, {
          hint: kind === 'github' ? 'run on pull_request events, or pass --pr <number>' : 'run in a merge request pipeline (CI_MERGE_REQUEST_IID), or pass --pr <iid>',
        });
      }
      let stepSummary: string | undefined;
      if (o.summary) {
        stepSummary = env.GITHUB_STEP_SUMMARY;
        if (!stepSummary) g.logger.warn('--summary: GITHUB_STEP_SUMMARY is not set; no step summary written');
      }
      const scm = await scmFromEnv(opts, env, g.logger);
      const { comment, formatComment } = await import('../commands/comment.js');
      const r = await comment(g, { number: pr, bodyFile: str(o, 'bodyFile'), diff: diffOptions(o), stepSummary, maxComments: o.maxComments as number, artifactUrl: artifactUrl(kind, env) }, { scm });
      print(io, g, r, formatComment(r));
      state.exitCode = r.exitCode;
    });
}

/** The CI page where the pipeline's artifacts (the full diff) are: the Actions run, or the GitLab job. */
function artifactUrl(kind: string, env: NodeJS.ProcessEnv): string | undefined {
  if (kind === 'github' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  if (kind === 'gitlab' && env.CI_JOB_URL) return `${env.CI_JOB_URL}/artifacts/browse`;
  return undefined;
}
