/** Commander wiring and the one error boundary. Commands live in src/commands/, their flags in register-*.ts. */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, KilnError, KilnErrors } from '../errors.js';
import { redact, registerEnvSecrets } from '../log/redact.js';
import { kilnVersion } from '../util/version.js';
import type { CliContext, CliIO, RunState } from './context.js';
import { registerFleetCommands } from './register-fleet.js';
import { registerPromoteCommands } from './register-promote.js';
import { registerDiffCommands } from './register-diff.js';
import { registerReportCommands } from './register-report.js';

export type { CliIO, RunState } from './context.js';

/** Each command group registers its own subcommands; add new groups here. */
const REGISTRATIONS: Array<(program: Command, ctx: CliContext) => void> = [registerFleetCommands, registerPromoteCommands, registerDiffCommands, registerReportCommands];

const defaultIO: CliIO = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
};

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

  for (const register of REGISTRATIONS) register(program, { io, state });
  return program;
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
