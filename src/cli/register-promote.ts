/** The promotion commands: promote, status. */
import type { Command } from 'commander';
import { scmFromEnv } from '../scm/from-env.js';
import { addForgeOptions, collect, forgeOptions, globals, print, str, type CliContext } from './context.js';

export function registerPromoteCommands(program: Command, { io, state }: CliContext): void {
  addForgeOptions(program.command('promote'))
    .description('publish the next environment at the source commit the previous one runs; gates; --pr')
    .requiredOption('--to <env>', 'the environment to promote')
    .option('--from <env>', 'the environment whose source commit is promoted (default: the one before --to)')
    .option('--source <sha>', 'promote this source commit: at or after what every --from cluster carries, rendering to what each runs')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .option('--require-status <context>', 'commit status/check that must be success on every --from branch head (repeatable)', collect)
    .option('--pr', 'open (or update) a PR/MR per target branch instead of pushing it')
    .option('--break-glass <reason>', 'promote into a deploy freeze; the reason is recorded as a Kiln-Break-Glass trailer')
    .option('--allow-rollback', 'allow moving target branches back to an older source commit')
    .option('--force', 'overwrite target branches whose source commit cannot be ordered against ours')
    .option('--dry-run', 'render and compare, print the plan, push nothing')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatPromote, promote } = await import('../commands/promote.js');
      const requireStatus = (o.requireStatus as string[] | undefined) ?? [];
      const scm = o.pr || requireStatus.length ? await scmFromEnv(forgeOptions(o), process.env, undefined, g.signal) : undefined;
      const r = await promote(
        g,
        {
          to: String(o.to),
          from: str(o, 'from'),
          source: str(o, 'source'),
          remote: String(o.remote),
          requireStatus,
          pr: Boolean(o.pr),
          breakGlass: str(o, 'breakGlass'),
          allowRollback: Boolean(o.allowRollback),
          force: Boolean(o.force),
          dryRun: Boolean(o.dryRun),
        },
        { scm },
      );
      print(io, g, r, formatPromote(r));
      state.exitCode = r.exitCode;
    });

  program
    .command('status')
    .description('per environment, the source commit each cluster runs and how far it trails the previous environment')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatStatus, status } = await import('../commands/status.js');
      const r = await status(g, { remote: String(o.remote) });
      print(io, g, r, formatStatus(r));
    });
}
