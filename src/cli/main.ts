/** Commander wiring and the one error boundary. Commands live in src/commands/, their flags in register-*.ts. */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, InterruptedError, KilnError, KilnErrors } from '../errors.js';
import { killRunning } from '../exec/exec.js';
import { warmSpawner } from '../exec/spawner.js';
import { redact, registerEnvSecrets } from '../log/redact.js';
import { kilnVersion } from '../util/version.js';
import { runProgress, runSignals, type CliContext, type CliIO, type RunState } from './context.js';
import { registerFleetCommands } from './register-fleet.js';
import { registerPromoteCommands } from './register-promote.js';
import { registerDiffCommands } from './register-diff.js';
import { registerReportCommands } from './register-report.js';
import { registerToolsCommands } from './register-tools.js';
import { registerCheckCommands } from './register-check.js';

export type { CliIO, RunState } from './context.js';

/** Commands that ask git first thing: the spawner helper starts while their modules load (~0.1 s of a no-change publish). */
const GIT_FIRST = new Set(['render', 'publish', 'diff', 'check', 'promote', 'status', 'bootstrap']);

/** Each command group registers its own subcommands; add new groups here. */
const REGISTRATIONS: Array<(program: Command, ctx: CliContext) => void> = [registerFleetCommands, registerPromoteCommands, registerDiffCommands, registerReportCommands, registerToolsCommands, registerCheckCommands];

const defaultIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY,
  columns: () => process.stderr.columns,
};

export function buildProgram(io: CliIO, state: RunState = { exitCode: ExitCode.ok }, signal?: AbortSignal): Command {
  const program = new Command('kiln')
    .description('Render every profile for every cluster of a fleet into plain YAML, one git branch per cluster.')
    .version(kilnVersion(), '-V, --version')
    .option('--config <file>', 'fleet config (default: <cwd>/kiln.yaml)')
    .option('--cwd <dir>', 'the fleet repo (default: the current directory)')
    .option('--json', 'machine-readable output on stdout')
    .addOption(new Option('--log-level <level>', 'stderr verbosity').choices(['debug', 'info', 'warn', 'error', 'silent']))
    .option('--concurrency <n>', 'clusters rendered at once (default: CPU count)')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  for (const register of REGISTRATIONS) register(program, { io, state });
  program.hook('preAction', (_program, action) => {
    if (GIT_FIRST.has(action.name())) warmSpawner();
  });
  requiredAfterUnknown(program);
  if (signal) runSignals.set(program, signal);
  return program;
}

/**
 * Runs the CLI and returns the exit code; never throws. SIGINT/SIGTERM abort the run: render
 * sessions kill their tools, other programs are killed, every command unwinds through its clean-up,
 * and the exit code is 130/143 with one line saying what was and was not done. A second signal
 * exits at once.
 */
export async function main(argv: string[], io: CliIO = defaultIO): Promise<number> {
  registerEnvSecrets();
  const state: RunState = { exitCode: ExitCode.ok };
  const interrupt = new AbortController();
  const program = buildProgram(io, state, interrupt.signal);
  const debug = argv.includes('--log-level=debug') || argv.some((a, i) => a === '--log-level' && argv[i + 1] === 'debug');
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (interrupt.signal.aborted) {
      killRunning();
      process.exit(sig === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated);
    }
    interrupt.abort(new InterruptedError(sig));
    killRunning();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    await program.parseAsync(argv, { from: 'user' });
    // the live line cleared and the timing summary printed before anything that ends the run
    runProgress.get(program)?.finish({ summary: !interrupt.signal.aborted });
    if (interrupt.signal.aborted) return report(interrupt.signal.reason, io, debug);
    return state.exitCode;
  } catch (e) {
    runProgress.get(program)?.finish({ summary: false });
    // a usage error is commander's one line, then where to read more (not the whole help)
    if (e instanceof CommanderError && e.exitCode !== 0 && !['commander.help', 'commander.helpDisplayed', 'commander.version'].includes(e.code)) {
      const cmd = commandOf(program, argv);
      io.stderr(`see kiln ${cmd ? `${cmd} ` : ''}--help\n`);
    }
    // once interrupted, whatever failed on the way out (a killed git) is the interrupt's doing
    const reason: unknown = interrupt.signal.reason;
    return report(interrupt.signal.aborted && !(e instanceof InterruptedError) ? reason : e, io, debug);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

function report(e: unknown, io: CliIO, debug: boolean): number {
  if (e instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by commander
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.user;
  }
  if (e instanceof InterruptedError) {
    io.stderr(redact(e.oneLine()) + '\n');
    return e.exitCode;
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

/**
 * Commander checks required options before unknown ones, so `render --outdir x` said "--out is
 * missing". Required options are checked in a preAction hook instead, which runs after the
 * unknown-option check: a mistyped option is named as such.
 */
function requiredAfterUnknown(program: Command): void {
  const required = new Map<Command, Option[]>();
  for (const cmd of program.commands) {
    const opts = cmd.options.filter((o) => o.mandatory);
    for (const o of opts) o.mandatory = false;
    if (opts.length) required.set(cmd, opts);
  }
  program.hook('preAction', (_root, action) => {
    for (const o of required.get(action) ?? []) if (action.getOptionValue(o.attributeName()) === undefined) action.error(`error: required option '${o.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: 1 });
  });
}

/** The subcommand an argv names, for "see kiln <cmd> --help". */
function commandOf(program: Command, argv: string[]): string | undefined {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  return argv.find((a) => names.has(a));
}
