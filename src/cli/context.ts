/** What every command registration needs: IO, the exit state, and the shared option helpers. */
import { Command, InvalidArgumentError } from 'commander';
import os from 'node:os';
import path from 'node:path';
import type { GlobalOptions } from '../commands/options.js';
import { KilnError } from '../errors.js';
import { parseShard, type Selection } from '../fleet/plan.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { liveTerminal, Progress } from '../log/progress.js';
import type { ForgeKind, ScmOptions } from '../scm/scm.js';

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal: progress is drawn live (unless NO_COLOR or TERM=dumb). */
  stderrIsTTY?: boolean;
  /** The terminal's width, for the live progress line. */
  columns?: () => number | undefined;
}

/** Commands that end with a non-zero code without an error (diff found, conflicts) set it here. */
export interface RunState {
  exitCode: number;
}

export interface CliContext {
  io: CliIO;
  state: RunState;
}

/** The interrupt signal of each program main() runs (keyed by the root command: one run each). */
export const runSignals = new WeakMap<Command, AbortSignal>();
/** The progress display of each program's run, so main() can end it (timing summary) whatever happened. */
export const runProgress = new WeakMap<Command, Progress>();

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

export function collect(value: string, prev: string[] = []): string[] {
  return [...prev, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

export function addSelection(cmd: Command): Command {
  return cmd
    .option('--cluster <names>', 'only these clusters (repeat or comma-separate)', collect)
    .option('--env <names>', 'only clusters of these environments', collect)
    .option('--profile <names>', 'only clusters these profiles land on (each rendered whole)', collect)
    .option('--shard <i/n>', 'only shard i of n (by rendered branch, stable; 1-based)');
}

export function selection(o: Record<string, unknown>): Selection {
  return {
    clusters: o.cluster as string[] | undefined,
    envs: o.env as string[] | undefined,
    profiles: o.profile as string[] | undefined,
    shard: typeof o.shard === 'string' ? parseShard(o.shard) : undefined,
  };
}

export function globals(cmd: Command, io: CliIO): GlobalOptions {
  const o = cmd.optsWithGlobals<Record<string, unknown>>();
  const concurrency = o.concurrency === undefined ? os.availableParallelism() : Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new KilnError(`--concurrency "${String(o.concurrency)}" must be a whole number ≥ 1`);
  }
  const level = (o.logLevel as LogLevel | undefined) ?? 'info';
  // progress is info-level; the logger writes through it so a live line never tears a log line
  const progress = new Progress({ write: io.stderr, live: liveTerminal(io.stderrIsTTY), enabled: level === 'info' || level === 'debug', columns: io.columns });
  const logger = createLogger({ level, write: (l) => progress.line(l) });
  if (level === 'debug') progress.debug = (l) => logger.debug(l);
  runProgress.set(rootOf(cmd), progress);
  return {
    cwd: path.resolve(String(o.cwd ?? process.cwd())),
    config: o.config === undefined ? undefined : path.resolve(String(o.cwd ?? process.cwd()), String(o.config)),
    json: Boolean(o.json),
    concurrency,
    logger,
    signal: runSignals.get(rootOf(cmd)),
    progress,
  };
}

/** Data on stdout: JSON with --json, else the command's text. */
export function print(io: CliIO, g: GlobalOptions, data: unknown, text: string): void {
  g.progress?.settle(); // stdout and stderr are often one terminal: the live line must not tear the data
  io.stdout((g.json ? JSON.stringify(data, null, 2) : text) + '\n');
}

/** Optional string option. */
export function str(o: Record<string, unknown>, k: string): string | undefined {
  return o[k] === undefined ? undefined : String(o[k]);
}

/** Where the GitHub/GitLab API is: flags, else the CI environment (scmFromEnv). */
export function addForgeOptions(cmd: Command): Command {
  return cmd
    .option('--forge <kind>', 'github or gitlab (default: from the CI environment)')
    .option('--forge-url <url>', 'forge API base URL (default: GITHUB_API_URL / CI_API_V4_URL)')
    .option('--forge-repo <repo>', 'owner/repo (GitHub) or project id/path (GitLab)');
}

export function forgeOptions(o: Record<string, unknown>): ScmOptions {
  return { forge: str(o, 'forge') as ForgeKind | undefined, apiUrl: str(o, 'forgeUrl'), repo: str(o, 'forgeRepo') };
}

/** A commander argument parser for whole numbers in [min, max]: `--max-chars abc` is a usage error naming the option. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number${max === Number.MAX_SAFE_INTEGER ? ` ≥ ${min}` : ` from ${min} to ${max}`}.`);
    return n;
  };
}
