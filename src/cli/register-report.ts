/** The report command: a static site + report.json of what runs where. */
import type { Command } from 'commander';
import { scmFromEnv } from '../scm/from-env.js';
import type { Scm } from '../scm/scm.js';
import { addForgeOptions, collect, forgeOptions, globals, print, type CliContext } from './context.js';

/** The forge from flags or the CI environment; without a token (or outside CI) there is none and health is unknown. */
async function forgeOrNone(o: Record<string, unknown>, warn: (m: string) => void, signal?: AbortSignal): Promise<Scm | undefined> {
  try {
    return await scmFromEnv(forgeOptions(o), process.env, undefined, signal);
  } catch (e) {
    warn(`health is unknown: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function registerReportCommands(program: Command, { io }: CliContext): void {
  addForgeOptions(program.command('report'))
    .description('a static site + report.json: the cluster × profile matrix, what runs where, lag, health, images')
    .requiredOption('--out <dir>', 'directory for index.html, report.css, report.js and report.json')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .option('--health-context <context>', 'commit status/check on each branch head that makes its health (repeatable; worst wins)', collect)
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const { formatReport, report } = await import('../commands/report.js');
      const healthContexts = (o.healthContext as string[] | undefined) ?? [];
      const scm = healthContexts.length ? await forgeOrNone(o, (m) => g.logger.warn(m), g.signal) : undefined;
      const r = await report(g, { out: String(o.out), remote: String(o.remote), healthContexts }, { scm });
      const { data: _data, ...summary } = r;
      print(io, g, summary, formatReport(r));
    });
}
