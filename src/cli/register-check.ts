/** `kiln check`: schema, API and policy checks of what each selected cluster would receive. */
import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { addSelection, globals, print, selection, type CliContext } from './context.js';

export function registerCheckCommands(program: Command, { io, state }: CliContext): void {
  addSelection(program.command('check'))
    .description('render the selected clusters and check every object: schema of the cluster\'s Kubernetes version or CRD, removed/deprecated APIs, policies')
    .option('--strict', 'a cluster whose kubeVersion has no schemas is an error, not a warning')
    .option('--determinism', 'render every component twice more and report the objects and fields that differ (fields a profile lists in diffIgnore excepted)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { check, formatCheck } = await import('../commands/check.js');
      const r = await check(g, { ...selection(o), strict: Boolean(o.strict), determinism: Boolean(o.determinism) });
      print(io, g, r, formatCheck(r));
      if (r.errors > 0) state.exitCode = ExitCode.user;
    });
}
