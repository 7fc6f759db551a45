/** The report command: a static site + report.json of what runs where. */
import type { Command } from 'commander';
import { formatReport, report } from '../commands/report.js';
import type { ForgeKind, Scm, ScmOptions } from '../scm/scm.js';
import { collect, globals, print, str, type CliContext } from './context.js';

/** The forge from flags or the CI environment; without a token (or outside CI) there is none and health is unknown. */
async function forgeOrNone(o: Record<string, unknown>, warn: (m: string) => void): Promise<Scm | undefined> {
  const opts: ScmOptions = { forge: str(o, 'forge') as ForgeKind | undefined, apiUrl: str(o, 'forgeUrl'), repo: str(o, 'forgeRepo') };
  try {
    const mod = (await import('../scm/from-env.js')) as { scmFromEnv: (o: ScmOptions, env?: NodeJS.ProcessEnv) => Scm };
    return mod.scmFromEnv(opts, process.env);
  } catch (e) {
    warn(`health is unknown: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function registerReportCommands(program: Command, { io }: CliContext): void {
  program
    .command('report')
    .description('a static site + report.json: the cluster × profile matrix, what runs where, lag, health, images')
    .requiredOption('--out <dir>', 'directory for index.html, report.css, report.js and report.json')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .option('--health-context <context>', 'commit status/check on each branch head that makes its health (repeatable; worst wins)', collect)
    .option('--forge <kind>', 'github or gitlab (default: from the CI environment)')
    .option('--forge-url <url>', 'forge API base URL (default: GITHUB_API_URL / CI_API_V4_URL)')
    .option('--forge-repo <repo>', 'owner/repo or GitLab project of the rendered branches')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const healthContexts = (o.healthContext as string[] | undefined) ?? [];
      const scm = healthContexts.length ? await forgeOrNone(o, (m) => g.logger.warn(m)) : undefined;
      const r = await report(g, { out: String(o.out), remote: String(o.remote), healthContexts }, { scm });
      const { data: _data, ...summary } = r;
      print(io, g, summary, formatReport(r));
    });
}
