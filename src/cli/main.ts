/** Commander wiring and the one error boundary. Commands live in src/commands/. */
import { Command, CommanderError, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { bootstrap, formatBootstrap, type BootstrapTarget, type DestinationMode } from '../commands/bootstrap.js';
import { formatLs, ls } from '../commands/ls.js';
import type { GlobalOptions } from '../commands/options.js';
import { formatPublish, publish } from '../commands/publish.js';
import { formatRender, render } from '../commands/render.js';
import { formatValidate, validate } from '../commands/validate.js';
import { ExitCode, KilnError, KilnErrors } from '../errors.js';
import { parseShard, type Selection } from '../fleet/plan.js';
import { publicRepoUrl } from '../git/source.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { resolveRemote } from '../publish/remote-url.js';
import { redact, registerEnvSecrets } from '../log/redact.js';
import { kilnVersion } from '../util/version.js';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const defaultIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

function collect(value: string, prev: string[] = []): string[] {
  return [...prev, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

function addSelection(cmd: Command): Command {
  return cmd
    .option('--cluster <names>', 'only these clusters (repeat or comma-separate)', collect)
    .option('--env <names>', 'only clusters of these environments', collect)
    .option('--profile <names>', 'only clusters these profiles land on (each rendered whole)', collect)
    .option('--shard <i/n>', 'only shard i of n (stable by cluster name; 1-based)');
}

function selection(o: Record<string, unknown>): Selection {
  return {
    clusters: o.cluster as string[] | undefined,
    envs: o.env as string[] | undefined,
    profiles: o.profile as string[] | undefined,
    shard: typeof o.shard === 'string' ? parseShard(o.shard) : undefined,
  };
}

function globals(cmd: Command, io: CliIO): GlobalOptions {
  const o = cmd.optsWithGlobals<Record<string, unknown>>();
  const concurrency = o.concurrency === undefined ? os.availableParallelism() : Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new KilnError(`--concurrency "${String(o.concurrency)}" must be a whole number ≥ 1`);
  }
  const level = (o.logLevel as LogLevel | undefined) ?? 'info';
  return {
    cwd: path.resolve(String(o.cwd ?? process.cwd())),
    config: o.config === undefined ? undefined : path.resolve(String(o.cwd ?? process.cwd()), String(o.config)),
    json: Boolean(o.json),
    concurrency,
    logger: createLogger({ level, write: (l) => io.stderr(l + '\n') }),
  };
}

/** Commands that end with a non-zero code without an error (diff found, conflicts) set it here. */
export interface RunState {
  exitCode: number;
}

export function buildProgram(io: CliIO, state: RunState = { exitCode: ExitCode.ok }): Command {
  const program = new Command('kiln')
    .description('Render every profile for every cluster of a fleet into plain YAML, one git branch per cluster.')
    .version(kilnVersion(), '-V, --version')
    .option('--config <file>', 'fleet config (default: <cwd>/kiln.yaml)')
    .option('--cwd <dir>', 'the fleet repo (default: the current directory)')
    .option('--json', 'machine-readable output on stdout')
    .addOption(new Option('--log-level <level>', 'stderr verbosity').choices(['debug', 'info', 'warn', 'error', 'silent']))
    .option('--concurrency <n>', 'clusters rendered at once (default: CPU count)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  const print = (g: GlobalOptions, data: unknown, text: string) => io.stdout((g.json ? JSON.stringify(data, null, 2) : text) + '\n');

  program
    .command('validate')
    .description('check schemas, references, selectors, templates and paths; needs no render tools')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd, io);
      const r = await validate(g);
      for (const w of r.warnings) g.logger.warn(w.message);
      print(g, r, formatValidate(r));
    });

  addSelection(program.command('ls'))
    .description('the cluster × profile matrix: which profile lands where, and why')
    .option('--why', 'show why each profile selects each cluster')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const r = await ls(g, selection(o));
      for (const w of r.warnings) g.logger.warn(w.message);
      print(g, r, formatLs(r, { why: Boolean(o.why) }));
    });

  addSelection(program.command('render'))
    .description('render the selected clusters into <out>/<cluster>/, exactly as their branches would hold them')
    .requiredOption('--out <dir>', 'output directory')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const r = await render(g, { ...selection(o), out: String(o.out) });
      print(g, r, formatRender(r));
    });

  addSelection(program.command('publish'))
    .description('render and commit each cluster to its branch on the remote (one commit per changed branch)')
    .option('--remote <remote>', 'remote name of the fleet repo, URL or path', 'origin')
    .option('--dry-run', 'render and compare, print the plan, push nothing')
    .option('--from <dir>', 'publish the output of a previous `kiln render --out <dir>`')
    .option('--force', 'overwrite branches whose source commit cannot be ordered against ours')
    .option('--allow-dirty', 'publish from a work tree with uncommitted changes')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const r = await publish(g, {
        ...selection(o),
        remote: String(o.remote),
        dryRun: Boolean(o.dryRun),
        from: o.from === undefined ? undefined : String(o.from),
        force: Boolean(o.force),
        allowDirty: Boolean(o.allowDirty),
      });
      print(g, r, formatPublish(r));
      state.exitCode = r.exitCode;
    });

  addSelection(program.command('bootstrap'))
    .description('emit the Flux or Argo CD objects that point each cluster at its rendered branch')
    .argument('<target>', 'flux or argocd')
    .option('--repo-url <url>', 'git URL the clusters pull rendered branches from (default: the fleet repo\'s origin)')
    .option('--out <dir>', 'write one file per cluster instead of one stream on stdout')
    .option('--application-set', 'argocd: one ApplicationSet with a list generator')
    .option('--namespace <ns>', 'namespace of the emitted objects (default flux-system / argocd)')
    .option('--interval <duration>', 'flux: reconcile interval (default 5m)')
    .option('--timeout <duration>', 'flux: Kustomization timeout (default 5m)')
    .option('--secret-ref <name>', 'flux: Secret with the git credentials')
    .option('--destination-server <mode>', 'argocd: in-cluster or from-label (hub Argo CD)')
    .action(async (target: string, o: Record<string, unknown>, cmd: Command) => {
      const g = globals(cmd, io);
      const str = (k: string) => (o[k] === undefined ? undefined : String(o[k]));
      const r = await bootstrap(g, {
        ...selection(o),
        target: target as BootstrapTarget,
        repoUrl: str('repoUrl') ?? (await originUrl(g.cwd)),
        out: str('out'),
        applicationSet: Boolean(o.applicationSet),
        namespace: str('namespace'),
        interval: str('interval'),
        timeout: str('timeout'),
        secretRef: str('secretRef'),
        destinationServer: str('destinationServer') as DestinationMode | undefined,
      });
      for (const w of r.warnings) g.logger.warn(w.message);
      print(g, r, formatBootstrap(r));
    });

  return program;
}

/** Rendered branches usually live beside the source: default to the fleet repo's origin, without credentials. */
async function originUrl(cwd: string): Promise<string> {
  try {
    return publicRepoUrl(await resolveRemote(cwd, 'origin'));
  } catch {
    throw new KilnError('--repo-url is required: the fleet repo has no origin remote to default to', { hint: 'pass the git URL the clusters can pull from' });
  }
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  registerEnvSecrets();
  const state: RunState = { exitCode: ExitCode.ok };
  const program = buildProgram(io, state);
  const debug = argv.includes('--log-level=debug') || argv.some((a, i) => a === '--log-level' && argv[i + 1] === 'debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (e) {
    return report(e, io, debug);
  }
}

function report(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.user;
  }
  if (e instanceof KilnErrors) {
    for (const err of e.errors) io.stderr(redact(`error: ${err.oneLine()}`) + '\n');
    io.stderr(`${e.errors.length} errors\n`);
    return e.exitCode;
  }
  if (e instanceof KilnError) {
    io.stderr(redact(`error: ${e.oneLine()}`) + '\n');
    if (debug && e.cause instanceof Error && e.cause.stack) io.stderr(redact(e.cause.stack) + '\n');
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr(redact(`internal error: ${err.message}`) + '\n');
  io.stderr(debug && err.stack ? redact(err.stack) + '\n' : 'this is a bug in kiln; rerun with --log-level debug for details and report it\n');
  return ExitCode.internal;
}
